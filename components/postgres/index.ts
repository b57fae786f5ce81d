export * from "./layout";
export * from "./settings";
export { renderPostgresqlConf, renderPgHba, postgresqlSettings, pgbackrestCommand } from "./postgresqlConf";
export { renderPgbackrestConf, renderRestoreConf, tlsServerCommand, PGBACKREST_TLS_PORT, BACKUP_CLIENT_NAME } from "./pgbackrestConf";
export { renderBootstrapScript, bootstrapEnvironment, ownerPasswordVariable, recoveryTargetTime, shellQuote, type BootstrapInput } from "./bootstrap";
export { PostgresCluster, POSTGRES_CLIENT_LABEL, BACKUP_JOB_LABEL, POSTGRES_EXPORTER_IMAGE, type PostgresClusterArgs } from "./PostgresCluster";
export { PostgresImage, postgresImageRef, baseImage, IMAGE_CONTEXT, type PostgresImageArgs } from "./image";
export { validatePostgres } from "./validate";
