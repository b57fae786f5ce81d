import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { HostSpec, ImagesSpec } from "../config";
import { imageBuildArgs, imageContext, imageTag } from "../workloads/images";
import type { ImageName } from "../workloads/plan";
import { hostObjects } from "./docker";
import type { HostPlacement } from "./placement";
import { dockerHostPlan, hostWorkloadPlan } from "./plan";

export interface DockerHostArgs {
  /** The stack's name: a label on everything the stack puts on the host. */
  stack: string;
  /** The host (`drkit:host`): its engine's address, the names' prefix, the address ports are published on. */
  host: HostSpec;
  /** The namespace the plans' qualified names use (`<service>.<namespace>.svc` resolve on the host's network too). @default "drkit" */
  namespace?: string;
  /** The stack's components' plans and the makers of their secrets. */
  placement: HostPlacement;
  /** Images given ready (a registry's references): pulled onto the host. */
  images: Partial<Record<ImageName, pulumi.Input<string>>>;
  /**
   * How to build on the host each image the plans need and `images` does not give: from
   * images/<name>/Dockerfile on the host's own engine, with these settings' base.
   * @default none: every image the plans run must be in `images`
   */
  build?: { settings: ImagesSpec; postgresVersion: number };
}

/**
 * A stack's workloads on one Docker host: the plan its components placed (`HostPlacement`) in its
 * host form (`hostWorkloadPlan`: secret variables as files, the job scheduler), mapped onto the
 * engine at `host.docker` (local, ssh:// or tcp://) by `dockerHostPlan`: a network, named volumes
 * (the data ones protected and kept outside a drill), one container per workload container, a
 * prepare container per pod, the jobs' containers created for the scheduler. drkit's images are
 * pulled onto the host, or built there.
 */
export class DockerHost extends pulumi.ComponentResource {
  /** The Docker network the stack's containers are on: an application's compose project joins it as an external network. */
  public readonly network: pulumi.Output<string>;
  /** Every container's name, by the plan's pod and container (`postgres/postgres`, `postgres-backup-full/backup`). */
  public readonly containerNames: Record<string, string>;
  /** The provider of the host's engine, for more resources on the same host. */
  public readonly provider: docker.Provider;

  constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:host:DockerHost", name, {}, opts);
    const { host } = args;
    this.provider = new docker.Provider(`${name}-engine`, { host: host.docker }, { parent: this });
    const onHost = { parent: this, provider: this.provider };
    const plan = hostWorkloadPlan(args.placement.plan(), host.project);
    const hostPlan = dockerHostPlan(plan, { stack: args.stack, project: host.project, namespace: args.namespace ?? "drkit", publishAddress: host.publishAddress });

    const needed = new Set(hostPlan.containers.map((c) => c.image));
    const images: Partial<Record<ImageName, pulumi.Output<string>>> = {};
    for (const image of needed) {
      const ready = args.images[image];
      let remote: docker.RemoteImage;
      if (ready !== undefined) {
        // Kept on the host when the stack is destroyed: another stack on the host may run it.
        remote = new docker.RemoteImage(`${name}-${image}`, { name: ready, keepLocally: true }, onHost);
      } else if (args.build) {
        const context = imageContext(image);
        remote = new docker.RemoteImage(
          `${name}-${image}`,
          {
            name: `drkit-${image}:${imageTag(image, args.build.postgresVersion)}`,
            keepLocally: true,
            build: { context, dockerfile: join(context, "Dockerfile"), buildArgs: imageBuildArgs(args.build.settings, args.build.postgresVersion) },
          },
          onHost,
        );
      } else {
        throw new Error(`DockerHost '${name}': the plan runs drkit's '${image}' image, and it is neither given (images.${image}) nor to be built (build)`);
      }
      images[image] = remote.imageId;
    }

    const { network } = hostObjects(name, hostPlan, { images, secretValue: args.placement.secretValue }, onHost);
    this.network = network.name;
    this.containerNames = Object.fromEntries(
      hostPlan.containers.filter((c) => c.kind === "container" || c.kind === "init").map((c) => [`${c.pod}/${c.name.slice(`${host.project}-${c.pod}-`.length)}`, c.name]),
    );
    this.registerOutputs({ network: this.network, containerNames: this.containerNames });
  }
}
