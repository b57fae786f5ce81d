export * from "./targets";
export { alertThresholds, type AlertThresholds } from "./thresholds";
export { ALERT_NAMES, renderAlertRules, renderRuleFile, VOLUME_FULL_RATIO, CONNECTIONS_RATIO, type AlertName, type AlertRule, type RuleGroup } from "./rules";
export { AlertRules, type AlertRulesArgs } from "./AlertRules";
