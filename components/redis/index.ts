export * from "./layout";
export { renderRedisConf, renderRedisAcl, DANGEROUS_COMMANDS } from "./redisConf";
export { renderSnapshotScript, renderRestoreScript } from "./scripts";
