import type { DrSpec, Objective, PostgresSpec, Role, Seconds } from "../config";
import { bucketEndpoint, type S3Substitute } from "../workloads/endpoints";
import { ownRepository, sourceRepository, type PgbackrestRepository } from "./layout";
import { credentialKind, type S3CredentialKind } from "../workloads/webIdentity";

/**
 * What PostgreSQL's configuration files depend on: the store's settings and three facts of the
 * stack. A parsed stack spec (`DrSpec`) has them, so the renderers take either.
 */
export interface PostgresContext {
  /** The stack's name: configuration comments, pod labels, certificate names. */
  stack: string;
  /** `primary` initialises an empty volume; `dr` and `drill` restore it from the source repository. */
  role: Role;
  /** The store's settings: `drkit:postgres`, parsed. */
  postgres: PostgresSpec;
  /** The store's objectives: the RPO sets archive_timeout, the RTO the recovery deadline. */
  objectives: { postgres: Objective };
}

/** The copy of this stack's repository in another store, kept for its own point-in-time window. */
export interface CopyRepository {
  repository: PgbackrestRepository;
  /** Point-in-time recovery to any moment of this window (pgBackRest's time-based retention of repo3). */
  pitrWindow: Seconds;
}

/** Everything a PostgreSQL cluster's workload plan is made from. */
export interface PostgresInput extends PostgresContext {
  /** This stack's pgBackRest repository: where the cluster archives and the jobs back up. */
  repository: PgbackrestRepository;
  /** The repository a `dr` or `drill` stack restores from. */
  source?: PgbackrestRepository;
  /** The copy (`drkit:storage.copy`): a second repository (repo3) the cluster archives to and the jobs back up to, with its own window. */
  copy?: CopyRepository;
  /** How the workloads authenticate to the repositories. @default "static-keys" */
  credentials?: S3CredentialKind;
}

/**
 * A stack spec's PostgreSQL input: its repositories at their cloud endpoints, or all at one
 * local endpoint (`s3`, the drill's).
 */
export function postgresInput(spec: DrSpec, s3?: S3Substitute): PostgresInput {
  const own = ownRepository(spec, bucketEndpoint(spec.storage.provider, spec.storage.bucket, spec.region, spec.storage.endpoint, s3));
  const from = spec.role !== "primary" ? spec.postgres.restoreFrom : undefined;
  const source = from ? sourceRepository(spec, bucketEndpoint(from.provider, from.bucket, from.region, from.endpoint, s3)) : undefined;
  const copy = spec.storage.copy;
  return {
    stack: spec.stack,
    role: spec.role,
    postgres: spec.postgres,
    objectives: { postgres: spec.objectives.postgres },
    repository: own,
    ...(source ? { source } : {}),
    // The copy holds the same repository (path, stanza, passphrase) in another store.
    ...(copy ? { copy: { repository: { ...own, endpoint: bucketEndpoint("s3-compatible", copy.bucket, copy.region, copy.endpoint, s3) }, pitrWindow: copy.pitrWindow } } : {}),
    credentials: credentialKind(spec),
  };
}
