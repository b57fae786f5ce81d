import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { ImagesSpec } from "../config";
import { imageBuildArgs, isPinned, imageContext, imageRepository, imageTag } from "./images";
import type { ImageName } from "./plan";

export interface DrkitImagesArgs<N extends ImageName> {
  /** Where the images come from (drkit:images): each one given ready, or built and pushed to `registry`. */
  settings: ImagesSpec;
  /** The images wanted: `refs` holds exactly these. */
  only: readonly N[];
  /** The PostgreSQL major version the `postgres` image is built for (drkit:postgres.version). @default 15 */
  postgresVersion?: number;
}

/**
 * drkit's images: each one given ready in `settings` (drkit:images), or built from
 * images/<name>/Dockerfile and pushed to `settings.registry` (docker must be logged in).
 * Pods use a built image by digest, so a rebuild with different contents rolls them and an
 * identical one does not.
 */
export class DrkitImages<N extends ImageName> extends pulumi.ComponentResource {
  /** Image references by name, ready for a pod spec: one per name in `only`. */
  public readonly refs: Record<N, pulumi.Output<string>>;

  constructor(name: string, args: DrkitImagesArgs<N>, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:workloads:DrkitImages", name, {}, opts);
    const images = args.settings;
    const version = args.postgresVersion ?? 15;
    const refs: Partial<Record<ImageName, pulumi.Output<string>>> = {};
    // The base image by the digest its tag points to now: a build is of the base that was
    // resolved and recorded at deployment, not of whatever the tag moves to later.
    let base: pulumi.Output<string> | undefined;
    const pinnedBase = () => (base ??= isPinned(images.base) ? pulumi.output(images.base) : pulumi.interpolate`${images.base}@${docker.getRegistryImageOutput({ name: images.base }, { parent: this }).sha256Digest}`);
    for (const image of new Set(args.only)) {
      const ready = images[image];
      if (ready) {
        refs[image] = pulumi.output(ready);
        continue;
      }
      if (!images.registry) throw new Error(`drkit:images.${image} or drkit:images.registry is required`);
      const context = imageContext(image);
      const built = new docker.Image(
        `${name}-${image}`,
        {
          imageName: `${imageRepository(images.registry, image)}:${imageTag(image, version)}`,
          build: { context, dockerfile: join(context, "Dockerfile"), args: pinnedBase().apply((pinned) => imageBuildArgs({ ...images, base: pinned }, version)), platform: "linux/amd64" },
        },
        { parent: this },
      );
      refs[image] = built.repoDigest;
    }
    this.refs = refs as Record<N, pulumi.Output<string>>;
    this.registerOutputs({ refs: this.refs });
  }
}
