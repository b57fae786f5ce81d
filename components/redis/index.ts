export * from "./layout";
export { redisInput, type RedisContext, type RedisInput } from "./input";
export { renderRedisConf, renderRedisAcl, DANGEROUS_COMMANDS } from "./redisConf";
export { renderSnapshotScript, renderRestoreScript } from "./scripts";
export { RedisServer, type RedisServerArgs } from "./RedisServer";
export { redisPlan, redisPodLabels, redisSnapshotLabels, REDIS_CLIENT_LABEL, REDIS_SNAPSHOT_LABEL, type RedisPlanOptions } from "./plan";
