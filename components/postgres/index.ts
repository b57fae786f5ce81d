export * from "./layout";
export * from "./settings";
export { renderPostgresqlConf, renderPgHba, postgresqlSettings, pgbackrestCommand } from "./postgresqlConf";
export { renderPgbackrestConf, renderRestoreConf } from "./pgbackrestConf";
export { renderBootstrapScript, bootstrapEnvironment, ownerPasswordVariable, recoveryTargetTime, shellQuote, type BootstrapInput } from "./bootstrap";
