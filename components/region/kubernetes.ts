import * as digitalocean from "@pulumi/digitalocean";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DrSpec } from "../config";
import { namespaceNetworkPolicies } from "../workloads/kubernetes";
import { objectStorePorts } from "../storage/paths";

export interface KubernetesTarget {
  /** The provider every Kubernetes object of the stack uses. */
  provider: k8s.Provider;
  /** The namespace drkit's workloads live in. */
  namespace: pulumi.Output<string>;
}

/**
 * The cluster the spec names: an existing one (the ambient kubeconfig, or the one in
 * `drkit:cluster.kubeconfig`, a secret), or a DigitalOcean Kubernetes cluster created here, with
 * drkit's namespace in it.
 */
export function kubernetesTarget(spec: DrSpec, opts: pulumi.CustomResourceOptions = {}): KubernetesTarget {
  const { cluster } = spec;
  let provider: k8s.Provider;
  if (cluster.provider === "digitalocean") {
    const version = digitalocean.getKubernetesVersionsOutput({ versionPrefix: cluster.versionPrefix }, opts).latestVersion;
    const doks = new digitalocean.KubernetesCluster(
      "cluster",
      {
        name: cluster.name,
        region: cluster.region,
        version,
        ha: cluster.ha,
        nodePool: { name: `${cluster.name}-default`, size: cluster.nodePool.size, nodeCount: cluster.nodePool.count },
      },
      // The cluster holds the volumes: a drill's goes with it, anything else stays.
      { ...opts, ...(spec.role === "drill" ? {} : { protect: true }) },
    );
    provider = new k8s.Provider("kubernetes", { kubeconfig: pulumi.secret(doks.kubeConfigs.apply((configs) => configs[0]!.rawConfig)) }, opts);
  } else {
    provider = new k8s.Provider(
      "kubernetes",
      {
        ...(cluster.kubeconfig ? { kubeconfig: pulumi.secret(cluster.kubeconfig) } : {}),
        ...(cluster.context ? { context: cluster.context } : {}),
      },
      opts,
    );
  }
  const namespace = new k8s.core.v1.Namespace(
    "namespace",
    { metadata: { name: cluster.namespace, labels: { "app.kubernetes.io/part-of": "drkit", "drkit.dev/stack": spec.stack } } },
    { ...opts, provider },
  );
  // drkit's namespace: its pods get a default deny and only the egress they need.
  namespaceNetworkPolicies("drkit", { namespace: namespace.metadata.name, objectStorePorts: objectStorePorts(spec) }, { ...opts, provider });
  return { provider, namespace: namespace.metadata.name };
}
