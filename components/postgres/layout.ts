import type { DrSpec, S3EndpointSpec, StorageProvider } from "../config";
import { DAY } from "../config";
import { s3Address, type S3Address } from "../storage/paths";
import { PATH, PORT } from "../workloads/names";
import type { PostgresContext } from "./input";

/**
 * Where PostgreSQL and pgBackRest find their files and each other. A cluster uses the container
 * layout below; `drkit drill` and the integration tests render the same configuration with
 * local paths and ports, nothing else changed.
 */
export interface PostgresLayout {
  /** Directory of postgres, pg_ctl, initdb, psql. */
  pgBin: string;
  /** PGDATA: a subdirectory of the volume (a volume's root may hold lost+found). */
  dataDir: string;
  /** Where postgresql.conf, pg_hba.conf, the pgBackRest configs and the bootstrap script are mounted. */
  configDir: string;
  /** Unix socket directory. */
  socketDir: string;
  port: number;
  /** pgBackRest's async spool, on the data volume so queued WAL survives a restart. */
  spoolDir: string;
  /** pgBackRest lock files (ephemeral). */
  lockDir: string;
}

/** The layout inside drkit's image and the PostgresCluster pod. */
export function containerLayout(version: number): PostgresLayout {
  return {
    pgBin: `/usr/lib/postgresql/${version}/bin`,
    dataDir: `${PATH.postgresVolume}/pgdata`,
    configDir: PATH.postgresConfig,
    socketDir: PATH.postgresSocket,
    port: PORT.postgres,
    spoolDir: `${PATH.postgresVolume}/pgbackrest-spool`,
    lockDir: `${PATH.tmp}/pgbackrest`,
  };
}

/** An S3 endpoint as pgBackRest needs it. */
export interface S3Endpoint {
  bucket: string;
  region: string;
  /** Host name (or IP) of the S3 API. */
  host: string;
  /** @default 443 */
  port?: number;
  /** `host` (bucket.host, AWS and Spaces) or `path` (host/bucket, local endpoints). */
  uriStyle: "host" | "path";
  /** Verify the endpoint's TLS certificate. Off only for a local self-signed endpoint. */
  verifyTls: boolean;
}

/** A bucket at an address, as pgBackRest's repo options say it. */
export function endpointAt(bucket: string, region: string, address: S3Address): S3Endpoint {
  if (!address.tls) throw new Error(`pgBackRest reaches S3 over TLS only, and s3://${bucket} is at http://${address.host}`);
  return { bucket, region, host: address.host, ...(address.port !== undefined ? { port: address.port } : {}), uriStyle: address.uriStyle, verifyTls: address.verifyTls };
}

/** The real endpoint of a bucket: its region's on AWS or Spaces, the given one on an S3-compatible store. */
export function cloudEndpoint(provider: StorageProvider, bucket: string, region: string, endpoint?: S3EndpointSpec): S3Endpoint {
  return endpointAt(bucket, region, s3Address(provider, region, endpoint));
}

/** A pgBackRest repository: an endpoint and a path in it. */
export interface PgbackrestRepository {
  endpoint: S3Endpoint;
  /** Absolute repository path, e.g. `/pgbackrest/prod`. */
  path: string;
  stanza: string;
  /** Encrypted with aes-256-cbc; the passphrase comes from the environment. */
  encrypted: boolean;
}

/** This stack's own repository, where it archives and backs up. */
export function ownRepository(spec: DrSpec, endpoint?: S3Endpoint): PgbackrestRepository {
  return {
    endpoint: endpoint ?? cloudEndpoint(spec.storage.provider, spec.storage.bucket, spec.region, spec.storage.endpoint),
    path: `/${spec.postgres.backups.repoPath}`,
    stanza: spec.postgres.backups.stanza,
    encrypted: spec.postgres.backups.encrypt,
  };
}

/** The repository a dr/drill stack restores from, or undefined for a primary. */
export function sourceRepository(spec: DrSpec, endpoint?: S3Endpoint): PgbackrestRepository | undefined {
  const source = spec.role === "primary" ? undefined : spec.postgres.restoreFrom;
  if (!source) return undefined;
  return {
    endpoint: endpoint ?? cloudEndpoint(source.provider, source.bucket, source.region, source.endpoint),
    path: `/${source.repoPath}`,
    stanza: source.stanza,
    encrypted: source.encrypted,
  };
}

/** pgBackRest counts time-based retention in whole days. */
export const windowDays = (window: number) => Math.max(1, Math.round(window / DAY));
export const retentionDays = (context: Pick<PostgresContext, "postgres">) => windowDays(context.postgres.backups.pitrWindow);

/** Where a data path lives: the fields of a storage access's location that pgBackRest reads. */
export interface RepositoryLocation {
  bucket: string;
  region: string;
  /** How its S3 API is reached. */
  endpoint: S3Address;
  /** The repository's key prefix, e.g. `pgbackrest/prod/`. */
  prefix: string;
}

/** A pgBackRest repository at a storage location: its prefix is the repository path. */
export function repositoryAt(location: RepositoryLocation, stanza: string, encrypted: boolean): PgbackrestRepository {
  return {
    endpoint: endpointAt(location.bucket, location.region, location.endpoint),
    path: `/${location.prefix.replace(/\/+$/, "")}`,
    stanza,
    encrypted,
  };
}
