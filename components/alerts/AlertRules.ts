import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DrSpec } from "../config";
import { renderAlertRules } from "./rules";
import { alertTargets, monitorLabels, type AlertTargets } from "./targets";

export interface AlertRulesArgs {
  /** The parsed stack spec. */
  spec: DrSpec;
  /** Labels of the PostgreSQL pod (`PostgresCluster.podLabels`). */
  postgresPodLabels: Record<string, string>;
  /** Labels of the Redis pod (`RedisServer.podLabels`), when the stack runs Redis. */
  redisPodLabels?: Record<string, string>;
  /** Labels of the job-metrics gateway's pod (`JobMetrics.podLabels`): scraped with the jobs' own labels. */
  jobMetricsPodLabels?: Record<string, string>;
  /** Names of the workloads the rules watch. @default postgres and redis in `drkit:cluster.namespace` */
  targets?: AlertTargets;
}

/**
 * The alert contract as a PrometheusRule in `drkit:alerts.namespace` with `drkit:alerts.ruleLabels`
 * (so kube-prometheus-stack loads it), and the PodMonitors that scrape the postgres_exporter and
 * redis_exporter sidecars, and the job-metrics gateway. The monitors stamp every series with `drkit_stack` and
 * `drkit_component`; the rules select on exactly those labels.
 */
export class AlertRules extends pulumi.ComponentResource {
  /** The PrometheusRule's name. */
  public readonly ruleName: string;

  constructor(name: string, args: AlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:alerts:AlertRules", name, {}, opts);
    const { spec } = args;
    const targets = args.targets ?? alertTargets(spec);
    const { namespace, ruleLabels } = spec.alerts;
    this.ruleName = `drkit-${spec.stack}`;
    new k8s.apiextensions.CustomResource(
      `${name}-rules`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: this.ruleName, namespace, labels: { ...ruleLabels, "app.kubernetes.io/part-of": "drkit" } },
        spec: { groups: renderAlertRules(spec, targets) },
      },
      { parent: this },
    );
    const podMonitor = (component: "postgres" | "redis", podLabels: Record<string, string>) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${component}-monitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: { name: `drkit-${spec.stack}-${component}`, namespace, labels: { ...ruleLabels, "app.kubernetes.io/part-of": "drkit" } },
          spec: {
            namespaceSelector: { matchNames: [targets.namespace] },
            selector: { matchLabels: podLabels },
            podMetricsEndpoints: [
              {
                port: "metrics",
                interval: "30s",
                relabelings: Object.entries(monitorLabels(spec, component)).map(([label, value]) => ({ action: "replace", targetLabel: label, replacement: value })),
              },
            ],
          },
        },
        { parent: this },
      );
    podMonitor("postgres", args.postgresPodLabels);
    if (args.redisPodLabels) podMonitor("redis", args.redisPodLabels);
    if (args.jobMetricsPodLabels) {
      new k8s.apiextensions.CustomResource(
        `${name}-job-metrics-monitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: { name: `drkit-${spec.stack}-job-metrics`, namespace, labels: { ...ruleLabels, "app.kubernetes.io/part-of": "drkit" } },
          spec: {
            namespaceSelector: { matchNames: [targets.namespace] },
            selector: { matchLabels: args.jobMetricsPodLabels },
            // The jobs push drkit_stack, drkit_component and their own labels: keep them, not the gateway's.
            podMetricsEndpoints: [{ port: "metrics", interval: "30s", honorLabels: true }],
          },
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
