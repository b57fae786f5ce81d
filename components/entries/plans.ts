/**
 * `drkit/plans`: what a stack runs, as pure data and text, without Pulumi. The workload plans
 * (pods, jobs, configuration files and scripts) that both the Kubernetes components and the
 * local drill run, the Prometheus rule file, the bucket lifecycle rules and IAM documents.
 */
export { postgresPlan, type PostgresPlanOptions } from "../postgres/plan";
export { postgresInput, type PostgresContext, type PostgresInput } from "../postgres/input";
export { repositoryAt, type PgbackrestRepository, type S3Endpoint } from "../postgres/layout";
export { redisPlan, type RedisPlanOptions } from "../redis/plan";
export { redisInput, type RedisContext, type RedisInput } from "../redis/input";
export { storeAt, type SnapshotStore } from "../redis/layout";
export { backupInput, backupPlan, type BackupInput, type BackupPlanOptions } from "../backup/plan";
export { jobMetricsPlan, type JobMetricsSettings } from "../alerts/jobMetricsPlan";
export { mergePlans, type ConfigMapPlan, type ContainerPlan, type ImageName, type JobPlan, type PodPlan, type SecretPlan, type SecretValue, type ServerPlan, type VolumePlan, type WorkloadPlan } from "../workloads/plan";
export { dataClaimName, PATH, PORT, UID } from "../workloads/names";
export { alertThresholds, type AlertContext, type AlertThresholds } from "../alerts/thresholds";
export { ALERT_NAMES, renderAlertRules, renderRuleFile, type AlertName, type AlertRule, type RuleGroup } from "../alerts/rules";
export { alertTargets, type AlertTargets } from "../alerts/targets";
export { renderScrapeConfig } from "../alerts/scrapeConfig";
export { dockerHostPlan, hostWorkloadPlan, type DockerHostPlan, type HostContainer, type HostSettings } from "../host/plan";
export { withSecretFiles } from "../host/secretFiles";
export { renderLifecycleRules, renderSpacesLifecycleRules, type S3LifecycleRule, type SpacesLifecycleRule } from "../storage/lifecycle";
export { backupBucketPolicy, dataPathPolicy, keyPolicy } from "../storage/policies";
export { ARCHIVE_CHECK_METRICS } from "../backup/archiveCheck";
export { VERIFICATION_METRICS } from "../backup/render";
export { WAL_ARCHIVE_METRICS } from "../postgres/exporterQueries";
