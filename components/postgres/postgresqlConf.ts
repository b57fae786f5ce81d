import { formatDuration } from "../config";
import type { CopyRepository, PostgresContext } from "./input";
import type { PostgresLayout } from "./layout";
import { archiveTimeout, memorySettings } from "./settings";
import { PATH } from "../workloads/names";

/** The pgBackRest command line for this stack's own repository. */
export function pgbackrestCommand(layout: PostgresLayout, stanza: string): string {
  return `pgbackrest --config=${layout.configDir}/pgbackrest.conf --stanza=${stanza}`;
}

/** postgresql.conf settings, in order. Values are rendered as PostgreSQL literals. */
export function postgresqlSettings(spec: PostgresContext & { copy?: CopyRepository | undefined }, layout: PostgresLayout): [string, string | number][] {
  const { postgres } = spec;
  const memory = memorySettings(postgres.resources.memory, postgres.maxConnections);
  const pgbackrest = pgbackrestCommand(layout, postgres.backups.stanza);
  return [
    ["listen_addresses", "*"],
    ["port", layout.port],
    ["unix_socket_directories", layout.socketDir],
    ["hba_file", `${layout.configDir}/pg_hba.conf`],
    ["max_connections", postgres.maxConnections],
    ["password_encryption", "scram-sha-256"],
    // Every network client is encrypted (pg_hba admits hostssl only), with the server pair the
    // pgBackRest TLS server uses: issued at deploy time for the pod's and the Service's names.
    ["ssl", "on"],
    ["ssl_cert_file", `${PATH.pgbackrestServerTls}/tls.crt`],
    ["ssl_key_file", `${PATH.pgbackrestServerTls}/tls.key`],
    ["ssl_min_protocol_version", "TLSv1.2"],
    ["shared_buffers", `${memory.sharedBuffersMiB}MB`],
    ["effective_cache_size", `${memory.effectiveCacheSizeMiB}MB`],
    ["maintenance_work_mem", `${memory.maintenanceWorkMemMiB}MB`],
    ["work_mem", `${memory.workMemMiB}MB`],
    // WAL archiving with pgBackRest: what the RPO rests on.
    ["wal_level", "replica"],
    ["wal_compression", "on"],
    ["archive_mode", "on"],
    ["archive_timeout", `${archiveTimeout(spec.objectives.postgres.rpo)}s`],
    // With a copy, a script pushes to both repositories, the copy's result never counting.
    ["archive_command", spec.copy ? `bash ${layout.configDir}/pgbackrest-archive-push.sh %p` : `${pgbackrest} archive-push %p`],
    ["restore_command", `${pgbackrest} archive-get %f "%p"`],
    ["max_wal_senders", 4],
    // Logs go to the container's stderr.
    ["logging_collector", "off"],
    ["log_destination", "stderr"],
    ["log_line_prefix", "%m [%p] %q%u@%d "],
    ["log_checkpoints", "on"],
    ["log_lock_waits", "on"],
  ];
}

/** A setting as a postgresql.conf literal: numbers bare, everything else single-quoted. */
function literal(value: string | number): string {
  return typeof value === "number" ? String(value) : `'${value.replace(/'/g, "''")}'`;
}

/** The postgresql.conf a drkit cluster runs with (mounted read-only, passed as config_file). */
export function renderPostgresqlConf(spec: PostgresContext & { copy?: CopyRepository | undefined }, layout: PostgresLayout): string {
  const rpo = formatDuration(spec.objectives.postgres.rpo);
  const header = [
    `# postgresql.conf rendered by drkit for stack '${spec.stack}' (role ${spec.role}), PostgreSQL ${spec.postgres.version}.`,
    `# archive_timeout is derived from the PostgreSQL RPO of ${rpo}; memory settings from the container's`,
    "# memory limit. Change the stack spec, not this file.",
  ];
  return [...header, ...postgresqlSettings(spec, layout).map(([k, v]) => `${k} = ${literal(v)}`), ""].join("\n");
}

/**
 * Client authentication: the superuser only as the OS user postgres over the socket (the
 * bootstrap, pgBackRest), every other role by password over the socket or over TLS; nothing
 * unencrypted and no superuser over the network.
 */
export function renderPgHba(): string {
  return [
    "# pg_hba.conf rendered by drkit.",
    "# TYPE    DATABASE  USER      ADDRESS     METHOD",
    "local     all       postgres              peer",
    "local     all       all                   scram-sha-256",
    "hostssl   all       postgres  0.0.0.0/0   reject",
    "hostssl   all       postgres  ::/0        reject",
    "hostssl   all       all       0.0.0.0/0   scram-sha-256",
    "hostssl   all       all       ::/0        scram-sha-256",
    "hostnossl all       all       0.0.0.0/0   reject",
    "hostnossl all       all       ::/0        reject",
    "",
  ].join("\n");
}
