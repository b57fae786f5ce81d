export * from "./layout";
export { renderBackupJobConf, renderVerifyConf, renderBackupScript, renderDumpScript, renderVerifyScript } from "./render";
export { BackupSchedule, type BackupScheduleArgs } from "./BackupSchedule";
export { backupPlan, backupLabels, type BackupPlanOptions, type BackupKind } from "./plan";
