export * from "./layout";
export * from "./settings";
export { renderPostgresqlConf, renderPgHba, postgresqlSettings, pgbackrestCommand } from "./postgresqlConf";
export { renderPgbackrestConf, renderRestoreConf, tlsServerCommand, PGBACKREST_TLS_PORT, BACKUP_CLIENT_NAME } from "./pgbackrestConf";
export { renderBootstrapScript, bootstrapEnvironment, ownerPasswordVariable, recoveryTargetTime, type BootstrapInput } from "./bootstrap";
export { PostgresCluster, type PostgresClusterArgs } from "./PostgresCluster";
export { postgresInput, type PostgresContext, type PostgresInput } from "./input";
export { postgresPlan, postgresPodLabels, postgresHosts, configHash, POSTGRES_CLIENT_LABEL, BACKUP_JOB_LABEL, type PostgresPlanOptions } from "./plan";

