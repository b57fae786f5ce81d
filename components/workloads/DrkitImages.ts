import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { DrSpec } from "../config";
import { IMAGE_NAMES, imageBuildArgs, imageContext, imageRepository, imageTag } from "./images";
import type { ImageName } from "./plan";

export interface DrkitImagesArgs {
  /** The parsed stack spec: `images` and `postgres.version`. */
  spec: DrSpec;
  /** Build only these. @default every image the stack runs */
  only?: ImageName[];
}

/**
 * drkit's images for a stack: each one given ready in `drkit:images`, or built from
 * images/<name>/Dockerfile and pushed to `drkit:images.registry` (docker must be logged in).
 * Pods use a built image by digest, so a rebuild with different contents rolls them and an
 * identical one does not.
 */
export class DrkitImages extends pulumi.ComponentResource {
  /** Image references by name, ready for a pod spec. */
  public readonly refs: Record<ImageName, pulumi.Output<string>>;

  constructor(name: string, args: DrkitImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:workloads:DrkitImages", name, {}, opts);
    const { images, postgres } = args.spec;
    const wanted = new Set(args.only ?? IMAGE_NAMES);
    const refs: Partial<Record<ImageName, pulumi.Output<string>>> = {};
    for (const image of IMAGE_NAMES) {
      const ready = images[image];
      if (ready) {
        refs[image] = pulumi.output(ready);
        continue;
      }
      if (!wanted.has(image)) continue;
      if (!images.registry) throw new Error(`drkit:images.${image} or drkit:images.registry is required`);
      const context = imageContext(image);
      const built = new docker.Image(
        `${name}-${image}`,
        {
          imageName: `${imageRepository(images.registry, image)}:${imageTag(image, postgres.version)}`,
          build: { context, dockerfile: join(context, "Dockerfile"), args: imageBuildArgs(images, postgres.version), platform: "linux/amd64" },
        },
        { parent: this },
      );
      refs[image] = built.repoDigest;
    }
    this.refs = refs as Record<ImageName, pulumi.Output<string>>;
    this.registerOutputs({ refs: this.refs });
  }
}
