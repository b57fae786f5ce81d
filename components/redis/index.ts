export * from "./layout";
export { renderRedisConf, renderRedisAcl, DANGEROUS_COMMANDS } from "./redisConf";
export { renderSnapshotScript, renderRestoreScript } from "./scripts";
export { RedisServer, REDIS_CLIENT_LABEL, REDIS_SNAPSHOT_LABEL, REDIS_EXPORTER_IMAGE, AWS_CLI_IMAGE, type RedisServerArgs } from "./RedisServer";
