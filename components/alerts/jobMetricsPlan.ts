import { JOB_METRICS_OBJECTS, PATH, PORT, UID, serviceHost } from "../workloads/names";
import type { WorkloadPlan } from "../workloads/plan";

/** The label a job pod needs for the NetworkPolicy to let it report to the job-metrics gateway. */
export const JOB_METRICS_CLIENT_LABEL = { "drkit.dev/job-metrics-client": "true" };

/** Labels of the job-metrics gateway's pod (its Services and the PodMonitor select on them). */
export function jobMetricsPodLabels(stack: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "pushgateway",
    "app.kubernetes.io/instance": `${stack}-job-metrics`,
    "app.kubernetes.io/component": "monitoring",
    "app.kubernetes.io/part-of": "drkit",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/**
 * Where jobs push their results: `<url>/metrics/job/...` (the Pushgateway API). From another
 * namespace, the gateway's full name in `namespace`; without one, the name the jobs in its own
 * namespace reach it by.
 */
export const jobMetricsUrl = (namespace?: string) => `http://${namespace ? serviceHost(JOB_METRICS_OBJECTS.client, namespace) : JOB_METRICS_OBJECTS.client}:${PORT.jobMetrics}`;

/** What the gateway's plan depends on. */
export interface JobMetricsSettings {
  /** The stack's name: the pod's instance label. */
  stack: string;
  /** Keep the gateway's volume when it is deleted (false in a disposable drill stack). @default true */
  retainData?: boolean;
}

/**
 * The results of runs that end (a restore verification's measured restore time and data age, a
 * WAL archive check's gaps) outlive their pods only if something holds them until Prometheus
 * scrapes: a Prometheus Pushgateway, the documented home of batch-job metrics. It persists to
 * its volume, so the last proven RTO and RPO survive its restarts; it is one replica that may be
 * evicted (the jobs retry a push, and a lost push only delays a figure).
 */
export function jobMetricsPlan(settings: JobMetricsSettings): WorkloadPlan {
  const resources = { cpu: 100, memory: 64 * 2 ** 20 };
  return {
    configMaps: [],
    secrets: [],
    servers: [
      {
        pod: {
          name: JOB_METRICS_OBJECTS.statefulSet,
          labels: jobMetricsPodLabels(settings.stack),
          annotations: {},
          security: { uid: UID.jobs, gid: UID.jobs, fsGroup: UID.jobs, fsGroupChangePolicy: "OnRootMismatch" },
          initContainers: [],
          containers: [
            {
              name: "pushgateway",
              image: "jobs",
              command: ["prometheus-pushgateway", `--web.listen-address=:${PORT.jobMetrics}`, `--persistence.file=${PATH.jobMetricsData}/metrics`, "--persistence.interval=30s"],
              env: [],
              mounts: [{ volume: "data", path: PATH.jobMetricsData }],
              ports: [{ name: "metrics", port: PORT.jobMetrics }],
              requests: resources,
              limits: { cpu: 500, memory: 128 * 2 ** 20 },
              readinessProbe: { http: { path: "/-/ready", port: PORT.jobMetrics }, periodSeconds: 5 },
              livenessProbe: { http: { path: "/-/healthy", port: PORT.jobMetrics }, periodSeconds: 30, failureThreshold: 4 },
            },
          ],
          volumes: [{ name: "data", kind: "data", size: 2 ** 30 }],
          restartPolicy: "Always",
          terminationGracePeriodSeconds: 10,
        },
        headlessService: JOB_METRICS_OBJECTS.headless,
        services: [
          { name: JOB_METRICS_OBJECTS.headless, headless: true, ports: [{ name: "metrics", port: PORT.jobMetrics }] },
          { name: JOB_METRICS_OBJECTS.client, headless: false, ports: [{ name: "metrics", port: PORT.jobMetrics }] },
        ],
        retainData: settings.retainData ?? true,
        evictable: true,
      },
    ],
    jobs: [],
  };
}
