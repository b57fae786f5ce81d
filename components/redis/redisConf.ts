import type { RedisContext } from "./input";
import { formatDuration } from "../config";
import type { RedisLayout } from "./layout";

/**
 * What the ACL takes away from the password's holder: every `@admin` command (ACL SETUSER would
 * undo any other denial; CONFIG, DEBUG, SHUTDOWN, REPLICAOF, MONITOR, BGSAVE) and the two that
 * empty the data set.
 */
export const DANGEROUS_COMMANDS = ["@admin", "flushall", "flushdb"] as const;

/**
 * What the snapshot job needs back from `@admin`: `redis-cli --rdb` is a replica for the length of
 * one transfer. It gives a client nothing it could not already read with the same password.
 */
export const SNAPSHOT_COMMANDS = ["sync", "psync", "replconf"] as const;

/**
 * redis.conf for a drkit Redis: AOF on the volume (fsync policy from the spec), RDB preamble
 * for fast loads, truncated tails loaded rather than refused, no automatic RDB saves (the
 * snapshot job takes consistent copies over the replication protocol), memory limits from the
 * spec. The password is not here: it is in the ACL file, which comes from a Secret.
 */
export function renderRedisConf(spec: RedisContext, layout: RedisLayout): string {
  const { redis } = spec;
  return [
    `# redis.conf rendered by drkit for stack '${spec.stack}' (role ${spec.role}).`,
    `# Off-site snapshots every ${formatDuration(redis.snapshots.interval)} bound the regional RPO; appendfsync bounds a crash's.`,
    `bind ${layout.bind}`,
    // With TLS the plaintext port is closed: the one port speaks TLS only.
    ...(redis.tls
      ? [
          "port 0",
          `tls-port ${layout.port}`,
          `tls-cert-file ${layout.tlsDir}/tls.crt`,
          `tls-key-file ${layout.tlsDir}/tls.key`,
          `tls-ca-cert-file ${layout.tlsDir}/ca.crt`,
          // Clients prove themselves with the ACL's password; the server with its certificate.
          "tls-auth-clients no",
          'tls-protocols "TLSv1.2 TLSv1.3"',
        ]
      : [`port ${layout.port}`]),
    "protected-mode yes",
    `dir ${layout.dataDir}`,
    `aclfile ${layout.aclFile}`,
    "appendonly yes",
    'appendfilename "appendonly.aof"',
    'appenddirname "appendonlydir"',
    `appendfsync ${redis.appendfsync}`,
    "aof-use-rdb-preamble yes",
    "aof-load-truncated yes",
    "no-appendfsync-on-rewrite no",
    "auto-aof-rewrite-percentage 100",
    "auto-aof-rewrite-min-size 64mb",
    'save ""',
    "dbfilename dump.rdb",
    `maxmemory ${redis.maxmemory}`,
    `maxmemory-policy ${redis.maxmemoryPolicy}`,
    "",
  ].join("\n");
}

/**
 * redis-cli's arguments to reach a drkit Redis: `--tls` against the CA when TLS is on (hiredis
 * checks the chain, not the name, so the loopback works too).
 */
export function redisCliTls(tls: boolean, caFile: string): string[] {
  return tls ? ["--tls", "--cacert", caFile] : [];
}

/**
 * The ACL file: one `default` user with the password, allowed everything but the dangerous
 * commands (unless `allowDangerousCommands`), the replication handshake the snapshot job needs
 * given back. Pure; the caller puts the result in a Secret.
 */
export function renderRedisAcl(spec: RedisContext, password: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(password)) throw new Error("the Redis password must be letters, digits, '-' or '_' (ACL files have no quoting)");
  const denied = spec.redis.allowDangerousCommands ? "" : ` ${DANGEROUS_COMMANDS.map((c) => `-${c}`).join(" ")} ${SNAPSHOT_COMMANDS.map((c) => `+${c}`).join(" ")}`;
  return `user default on >${password} ~* &* +@all${denied}\n`;
}
