import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { HostSpec } from "../config";
import type { ImageName } from "../workloads/plan";
import { hostObjects } from "./docker";
import type { HostPlacement } from "./placement";
import { dockerHostPlan, hostWorkloadPlan } from "./plan";

export interface DockerHostArgs {
  /** The stack's name: a label on everything the stack puts on the host. */
  stack: string;
  /** The host (`drkit:host`): the names' prefix and the address ports are published on. */
  host: HostSpec;
  /** The host's engine (`dockerProvider`): every object is made through it. */
  provider: docker.Provider;
  /** The namespace the plans' qualified names use (`<service>.<namespace>.svc` resolve on the host's network too). @default "drkit" */
  namespace?: string;
  /** The stack's components' plans and the makers of their secrets. */
  placement: HostPlacement;
  /** drkit's images on the host (`HostImages.refs`). */
  images: Partial<Record<ImageName, pulumi.Input<string>>>;
}

/**
 * A stack's workloads on one Docker host: the plan its components placed (`HostPlacement`) in its
 * host form (`hostWorkloadPlan`: secret variables as files, the job scheduler), mapped onto the
 * host's engine by `dockerHostPlan`: a network, named volumes (the data ones protected and kept
 * outside a drill), a sandbox and a prepare container per pod, one container per workload
 * container, the jobs' containers created for the scheduler to start.
 */
export class DockerHost extends pulumi.ComponentResource {
  /** The Docker network the stack's containers are on: an application's compose project joins it as an external network. */
  public readonly network: pulumi.Output<string>;
  /** Every container's engine name, by the plan's pod and container (`postgres/postgres`, `postgres-backup-full/backup`). */
  public readonly containerNames: Record<string, string>;
  /** The configuration files and scripts the containers run, by ConfigMap and key (never a secret): what `drkit render` shows. */
  public readonly configFiles: Record<string, Record<string, string>>;

  constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:host:DockerHost", name, {}, opts);
    const { host } = args;
    const plan = hostWorkloadPlan(args.placement.plan(), host.project);
    const hostPlan = dockerHostPlan(plan, { stack: args.stack, project: host.project, namespace: args.namespace ?? "drkit", publishAddress: host.publishAddress });
    const { network } = hostObjects(name, hostPlan, { images: args.images, secretValue: args.placement.secretValue }, { parent: this, provider: args.provider });
    this.network = network.name;
    this.containerNames = Object.fromEntries(
      hostPlan.containers.filter((c) => c.kind === "container" || c.kind === "init").map((c) => [`${c.pod}/${c.name.slice(`${host.project}-${c.pod}-`.length)}`, c.name]),
    );
    this.configFiles = Object.fromEntries(plan.configMaps.map((c) => [c.name, c.files]));
    this.registerOutputs({ network: this.network, containerNames: this.containerNames, configFiles: this.configFiles });
  }
}
