import type { CopyRepository, PostgresContext } from "./input";
import { WEB_IDENTITY_ENV, type S3CredentialKind } from "../workloads/webIdentity";
import type { PgbackrestRepository, PostgresLayout } from "./layout";
import { renderScript } from "../shell/render";
import { recoveryDeadline } from "./settings";
import { ENV, MONITOR_ROLE, ownerPasswordVariable, pgbackrestRepoEnv } from "../workloads/names";

/**
 * A restore target as pgBackRest and PostgreSQL both read it: `YYYY-MM-DD HH:MM:SS[.ffffff]+00`
 * in UTC. The spec takes ISO-8601 with any zone (validated there); fractions are kept exactly.
 */
export function recoveryTargetTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(iso);
  if (!match) throw new Error(`not an ISO-8601 time with a zone: '${iso}'`);
  const [, date, hours, minutes, seconds = "00", fraction = "", zone = "Z"] = match;
  const offset = zone === "Z" ? "+00:00" : zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const utc = new Date(Date.parse(`${date}T${hours}:${minutes}:${seconds}${offset}`)).toISOString();
  return `${utc.slice(0, 10)} ${utc.slice(11, 19)}${fraction}+00`;
}

export { ownerPasswordVariable };

/** Environment variables the bootstrap needs, by role: what the pod (or the drill) must set. */
export function bootstrapEnvironment(spec: PostgresContext & { credentials?: S3CredentialKind; copy?: CopyRepository }): string[] {
  const owners = [...new Set(spec.postgres.databases.map((db) => db.owner))];
  const own = pgbackrestRepoEnv(1);
  const source = pgbackrestRepoEnv(2);
  const copy = pgbackrestRepoEnv(3);
  const restoring = spec.role !== "primary" && spec.postgres.restoreFrom;
  // With a role, one token and role serve both repositories; with keys, each has its own pair.
  const roles = spec.credentials === "web-identity";
  return [
    ENV.superuserPassword,
    ENV.monitorPassword,
    ...owners.map(ownerPasswordVariable),
    ...(roles ? [WEB_IDENTITY_ENV.roleArn, WEB_IDENTITY_ENV.tokenFile] : [own.key, own.secret]),
    ...(spec.postgres.backups.encrypt ? [own.cipher] : []),
    // stanza-create makes the stanza in every repository pgbackrest.conf names: the copy's too, always with its key pair.
    ...(spec.copy ? [copy.key, copy.secret, ...(spec.postgres.backups.encrypt ? [copy.cipher] : [])] : []),
    ...(restoring ? [...(roles ? [] : [source.key, source.secret]), ...(restoring.encrypted ? [source.cipher] : [])] : []),
  ];
}

export interface BootstrapInput {
  /** The stack; with a copy (`copy`), its stanza is created in the copy's repository too. */
  spec: PostgresContext & { copy?: CopyRepository | undefined };
  layout: PostgresLayout;
  /** The repository to restore from (dr/drill). */
  source?: PgbackrestRepository;
}

/**
 * The bootstrap script of a drkit PostgreSQL cluster, run before PostgreSQL starts (an init
 * container in a cluster, the first step of `drkit drill` locally):
 *
 * - an empty data directory on a primary gets `initdb`;
 * - an empty data directory on a dr/drill stack is restored from the source repository with
 *   pgBackRest into a staging directory, moved into place only when complete, recovered to
 *   `latest` or the target time and promoted; then this stack's own stanza is created (the
 *   restored cluster archives to its own path, never to the source's);
 * - an existing cluster is started as is.
 *
 * Every boot then sets the superuser, monitoring and owner passwords from the environment and
 * creates missing roles and databases (idempotent), and stops the cluster cleanly for the real
 * server to start. It fails loudly, with one line saying what failed, and never deletes data.
 */
export function renderBootstrapScript({ spec, layout, source }: BootstrapInput): string {
  const restoring = spec.role !== "primary";
  if (restoring && !source) throw new Error(`a ${spec.role} stack's bootstrap needs the source repository`);
  const requested = spec.postgres.restoreFrom?.target ?? "latest";
  const target = requested === "latest" ? "latest" : recoveryTargetTime(requested);
  return renderScript("pg-bootstrap.sh", `stack '${spec.stack}' (role ${spec.role})`, {
    ROLE: spec.role,
    PG_BIN: layout.pgBin,
    PGDATA: layout.dataDir,
    CONFIG_DIR: layout.configDir,
    COPY_CONFIG: spec.copy ? `${layout.configDir}/pgbackrest-copy.conf` : "",
    SOCKET_DIR: layout.socketDir,
    PORT: layout.port,
    STANZA: spec.postgres.backups.stanza,
    SOURCE_STANZA: source?.stanza ?? "",
    SOURCE_DESCRIPTION: source ? `s3://${source.endpoint.bucket}${source.path}` : "",
    RESTORE_TARGET: target,
    RECOVERY_DEADLINE_SECONDS: recoveryDeadline(spec),
    DATABASES: spec.postgres.databases.map((db) => `${db.name}:${db.owner}`).join(" "),
    REQUIRED_ENVIRONMENT: bootstrapEnvironment(spec).join(" "),
    SUPERUSER_PASSWORD_VARIABLE: ENV.superuserPassword,
    MONITOR_PASSWORD_VARIABLE: ENV.monitorPassword,
    MONITOR_ROLE,
    PASSWORD_PREFIX: ENV.ownerPasswordPrefix,
  });
}
