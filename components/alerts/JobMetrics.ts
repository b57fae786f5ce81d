import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DrSpec } from "../config";
import { serverObjects } from "../workloads/kubernetes";
import { JOB_METRICS_OBJECTS, PORT } from "../workloads/names";
import type { ImageName } from "../workloads/plan";
import { JOB_METRICS_CLIENT_LABEL, jobMetricsPlan, jobMetricsUrl } from "./jobMetricsPlan";

export interface JobMetricsArgs {
  /** The parsed stack spec (its stack name, `drkit:alerts.namespace`, its role). */
  spec: DrSpec;
  /** Namespace of the gateway (the jobs' namespace). */
  namespace: pulumi.Input<string>;
  /** drkit's images (`DrkitImages.refs`): the gateway runs in `jobs`. */
  images: Record<ImageName, pulumi.Input<string>>;
}

/**
 * The job-metrics gateway (`jobMetricsPlan`) on Kubernetes: a one-replica StatefulSet with its
 * volume and Services, reachable only from job pods labelled `drkit.dev/job-metrics-client` and
 * from the monitoring namespace. `AlertRules` scrapes it with `honorLabels` so the labels the
 * jobs push are the series' labels.
 */
export class JobMetrics extends pulumi.ComponentResource {
  /** Labels of the gateway's pod (the PodMonitor selects on them). */
  public readonly podLabels: Record<string, string>;
  /** The URL the jobs push to. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: JobMetricsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:alerts:JobMetrics", name, {}, opts);
    const { spec, namespace } = args;
    const server = jobMetricsPlan(spec).servers[0]!;
    const parent = { parent: this };
    this.podLabels = server.pod.labels;
    this.url = pulumi.output(jobMetricsUrl(spec));
    const mapping = { namespace, images: args.images, secretValue: () => { throw new Error("the job-metrics gateway has no secrets"); }, labels: this.podLabels };
    const serviceAccount = new k8s.core.v1.ServiceAccount(name, { metadata: { name: JOB_METRICS_OBJECTS.statefulSet, namespace, labels: this.podLabels }, automountServiceAccountToken: false }, parent);
    serverObjects(server, mapping, { parent: this, serviceAccountName: serviceAccount.metadata.name, dependsOn: [], keep: {} });
    new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: { name: JOB_METRICS_OBJECTS.statefulSet, namespace, labels: this.podLabels },
        spec: {
          podSelector: { matchLabels: this.podLabels },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ podSelector: { matchLabels: JOB_METRICS_CLIENT_LABEL } }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": spec.alerts.namespace } } }],
              ports: [{ protocol: "TCP", port: PORT.jobMetrics }],
            },
          ],
        },
      },
      parent,
    );
    this.registerOutputs({ url: this.url });
  }
}
