/**
 * drkit: disaster-recovery components for Pulumi. `DrRegion` is a whole stack; the components
 * it composes can be used on their own. The configuration (`drkit/config`) and the pure plans
 * and renderers (`drkit/plans`) are entry points of their own that load no Pulumi package.
 */
export { DrRegion, type DrRegionArgs } from "./region/DrRegion";
export { kubernetesTarget, type KubernetesTarget } from "./region/kubernetes";
export { cloudProviders } from "./region/providers";
export { BackupStorage, type BackupStorageArgs, type RestoreSourceLocation, type S3Access, type S3Location } from "./storage/BackupStorage";
export { backupStorageArgs, dataPathPrefixes, type DataPath } from "./storage/paths";
export { BackupBucket, type BackupBucketArgs } from "./storage/BackupBucket";
export { SpacesBackupBucket, SpacesIdentity, type SpacesBackupBucketArgs, type SpacesIdentityArgs } from "./storage/SpacesBackupBucket";
export { BucketIdentity, type BucketIdentityArgs, type S3Credentials, type S3Grant } from "./storage/BucketIdentity";
export { WorkloadRole, type WorkloadRoleArgs } from "./storage/WorkloadRole";
export { workloadIdentityOf, type WorkloadIdentityArgs } from "./workloads/webIdentity";
export { PostgresCluster, type PostgresClusterArgs } from "./postgres/PostgresCluster";
export { BackupSchedule, type BackupScheduleArgs } from "./backup/BackupSchedule";
export { RedisServer, type RedisServerArgs } from "./redis/RedisServer";
export { JobMetrics, type JobMetricsArgs } from "./alerts/JobMetrics";
export { MediaMirror, type MediaMirrorArgs } from "./media/MediaMirror";
export { CompatibleBucket, type CompatibleBucketArgs } from "./storage/CompatibleBucket";
export { AlertRules, type AlertRulesArgs } from "./alerts/AlertRules";
export type { AlertContext } from "./alerts/thresholds";
export { DrkitImages, type DrkitImagesArgs } from "./workloads/DrkitImages";
// What a program needs to get a spec to give them.
export { checkConfig, parseSpec, rawSpecFromConfig, formatProblems, type DrSpec, type Problem, type ParseResult } from "./entries/config";
// The settings the components take, as the configuration parses them.
export type { AlertsSpec, ImagesSpec, Objective, PostgresSpec, RedisSpec, Role } from "./entries/config";
