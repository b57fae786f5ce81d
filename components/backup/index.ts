export * from "./layout";
export { renderBackupJobConf, renderVerifyConf, renderBackupScript, renderDumpScript, renderVerifyScript, VERIFICATION_METRICS } from "./render";
export { ARCHIVE_CHECK_METRICS } from "./archiveCheck";
export { BackupSchedule, type BackupScheduleArgs } from "./BackupSchedule";
export { backupPlan, backupLabels, type BackupPlanOptions, type BackupKind } from "./plan";
