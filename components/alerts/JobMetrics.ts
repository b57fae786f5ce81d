import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serverObjects } from "../workloads/kubernetes";
import { JOB_METRICS_OBJECTS, PORT } from "../workloads/names";
import { JOB_METRICS_CLIENT_LABEL, jobMetricsPlan, jobMetricsUrl } from "./jobMetricsPlan";
import type { HostPlacement } from "../host/placement";

export interface JobMetricsArgs {
  /** The stack's name: the instance label of the gateway's pod. */
  stack: string;
  /** Namespace of the gateway: the namespace of the jobs that push to it. */
  namespace: pulumi.Input<string>;
  /** The `jobs` image of drkit's images (`DrkitImages.refs`), which carries the Pushgateway. */
  images: { jobs: pulumi.Input<string> };
  /** The namespace Prometheus scrapes from, admitted by the gateway's NetworkPolicy. @default "monitoring" */
  monitoringNamespace?: string;
  /** Keep the gateway's volume (the last pushed figures) when the component is deleted; false for a disposable drill. @default true */
  retainData?: boolean;
  /** Place the gateway on a Docker host (`DockerHost` maps it) instead of creating Kubernetes objects. @default Kubernetes */
  placement?: HostPlacement;
}

const noSecrets = (): never => {
  throw new Error("the job-metrics gateway has no secrets");
};

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
    const { namespace } = args;
    const plan = jobMetricsPlan({ stack: args.stack, retainData: args.retainData ?? true });
    const server = plan.servers[0]!;
    const parent = { parent: this };
    this.podLabels = server.pod.labels;
    this.url = pulumi.output(namespace).apply(jobMetricsUrl);
    if (args.placement) {
      args.placement.add(`JobMetrics '${name}'`, plan, noSecrets);
    } else {
      const mapping = { namespace, images: args.images, secretValue: noSecrets, labels: this.podLabels };
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
                from: [{ podSelector: { matchLabels: JOB_METRICS_CLIENT_LABEL } }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace ?? "monitoring" } } }],
                ports: [{ protocol: "TCP", port: PORT.jobMetrics }],
              },
            ],
          },
        },
        parent,
      );
    }
    this.registerOutputs({ url: this.url });
  }
}
