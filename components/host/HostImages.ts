import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { ImagesSpec } from "../config";
import { imageBuildArgs, imageContext, imageTag } from "../workloads/images";
import type { ImageName } from "../workloads/plan";

export interface HostImagesArgs<N extends ImageName> {
  /** drkit's images settings (`drkit:images`): a ready image is pulled, a missing one built on the host. */
  settings: ImagesSpec;
  /** The images wanted: `refs` holds exactly these. */
  only: readonly N[];
  /** References to pull instead (`DrkitImages.refs`, when they were built and pushed to a registry). @default `settings`' ready images */
  pushed?: Partial<Record<ImageName, pulumi.Input<string>>>;
  /** The PostgreSQL major version the `postgres` image is built for. @default 15 */
  postgresVersion?: number;
}

/**
 * drkit's images on a Docker host, through the host's provider: each one given ready (or pushed by
 * `DrkitImages`) is pulled; without a registry, each one is built on the host's own engine from
 * images/<name>/Dockerfile, so a team with one server needs no registry at all. The images stay on
 * the host when the stack is destroyed (another stack there may run them).
 */
export class HostImages<N extends ImageName> extends pulumi.ComponentResource {
  /** Image ids on the host, by name: what the containers run. */
  public readonly refs: Record<N, pulumi.Output<string>>;

  constructor(name: string, args: HostImagesArgs<N>, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:host:HostImages", name, {}, opts);
    const version = args.postgresVersion ?? 15;
    const refs: Partial<Record<ImageName, pulumi.Output<string>>> = {};
    for (const image of new Set(args.only)) {
      const ready = args.pushed?.[image] ?? args.settings[image];
      const context = imageContext(image);
      const remote = new docker.RemoteImage(
        `${name}-${image}`,
        ready !== undefined
          ? { name: ready, keepLocally: true }
          : {
              name: `drkit-${image}:${imageTag(image, version)}`,
              keepLocally: true,
              build: { context, dockerfile: join(context, "Dockerfile"), buildArgs: imageBuildArgs(args.settings, version) },
            },
        { parent: this },
      );
      refs[image] = remote.imageId;
    }
    this.refs = refs as Record<N, pulumi.Output<string>>;
    this.registerOutputs({ refs: this.refs });
  }
}
