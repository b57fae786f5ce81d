export * from "./targets";
export { alertThresholds, type AlertContext, type AlertThresholds } from "./thresholds";
export { renderScrapeConfig } from "./scrapeConfig";
export { ALERT_NAMES, renderAlertRules, renderRuleFile, schedulerLabels, VOLUME_FULL_RATIO, WAL_LOST_PAGE_SECONDS, CONNECTIONS_RATIO, type AlertName, type AlertRule, type RuleGroup } from "./rules";
export { AlertRules, type AlertRulesArgs } from "./AlertRules";
export { JOB_METRICS_CLIENT_LABEL, jobMetricsPlan, jobMetricsPodLabels, jobMetricsUrl, type JobMetricsSettings } from "./jobMetricsPlan";
export { JobMetrics, type JobMetricsArgs } from "./JobMetrics";
