import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { renderAlertRules } from "./rules";
import type { AlertContext } from "./thresholds";
import { monitorLabels, type AlertTargets } from "./targets";

/** What the rules need of a workload: a `PostgresCluster` or a `RedisServer` is one. */
export interface WatchedWorkload {
  /** Labels on its pod: the PodMonitor selects on them. */
  podLabels: Record<string, string>;
  /** The name its StatefulSet, claim and CronJobs are named after. */
  workloadName: string;
}

export interface AlertRulesArgs {
  /**
   * What the rules are made from: the watched stores' settings and objectives, the schedules'
   * time zone, the replication target and `drkit:alerts` (where the rules go, their labels, the
   * runbook). A parsed stack spec has all of it.
   */
  settings: AlertContext;
  /** Namespace of the workloads watched: their volume claims, CronJobs and Jobs. */
  namespace: pulumi.Input<string>;
  /** The PostgreSQL the rules watch (a `PostgresCluster`): its pod's labels and the name its objects carry. @default none: a stack without PostgreSQL, no PostgreSQL or pgBackRest rules */
  postgres?: WatchedWorkload;
  /** The Redis the rules watch (a `RedisServer`), when the stack runs Redis. @default none: no Redis rules' targets */
  redis?: WatchedWorkload;
  /** The media mirror (a `MediaMirror`): its CronJob is watched like the backups'. @default none */
  media?: { cronJobName: string };
  /** The job-metrics gateway (a `JobMetrics`), scraped with the jobs' own labels. @default none: the jobs' metrics are not scraped */
  jobMetrics?: Pick<WatchedWorkload, "podLabels">;
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
    const spec = args.settings;
    // The workloads it is given, by the names they carry: no Redis given, no Redis rules.
    const watched = pulumi.output(args.namespace);
    const targets = watched.apply((ns): AlertTargets => ({ namespace: ns, ...(args.postgres ? { postgres: args.postgres.workloadName } : {}), ...(args.redis ? { redis: args.redis.workloadName } : {}), ...(args.media ? { media: args.media.cronJobName } : {}) }));
    const { namespace, ruleLabels } = spec.alerts;
    this.ruleName = `drkit-${spec.stack}`;
    new k8s.apiextensions.CustomResource(
      `${name}-rules`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: this.ruleName, namespace, labels: { ...ruleLabels, "app.kubernetes.io/part-of": "drkit" } },
        spec: { groups: targets.apply((t) => renderAlertRules(spec, t)) },
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
            namespaceSelector: { matchNames: [watched] },
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
    if (args.postgres) podMonitor("postgres", args.postgres.podLabels);
    if (args.redis) podMonitor("redis", args.redis.podLabels);
    if (args.jobMetrics) {
      new k8s.apiextensions.CustomResource(
        `${name}-job-metrics-monitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: { name: `drkit-${spec.stack}-job-metrics`, namespace, labels: { ...ruleLabels, "app.kubernetes.io/part-of": "drkit" } },
          spec: {
            namespaceSelector: { matchNames: [watched] },
            selector: { matchLabels: args.jobMetrics.podLabels },
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
