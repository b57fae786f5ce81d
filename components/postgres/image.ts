import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { DrSpec } from "../spec";

/** The build context of drkit's PostgreSQL image: components/postgres/image (Dockerfile). */
export const IMAGE_CONTEXT = join(__dirname, "image");

/** The official image tag drkit's image builds on. */
export const baseImage = (version: number) => `postgres:${version}-bookworm`;

export interface PostgresImageArgs {
  /** The parsed stack spec: `postgres.version` and `postgres.imageRegistry`. */
  spec: DrSpec;
}

/**
 * Builds drkit's PostgreSQL + pgBackRest image and pushes it to `drkit:postgres.imageRegistry`
 * (docker must be logged in to that registry). Pods use the pushed image by digest, so a
 * rebuild with different contents rolls the StatefulSet and an identical one does not.
 */
export class PostgresImage extends pulumi.ComponentResource {
  /** `registry/name@sha256:...` */
  public readonly imageRef: pulumi.Output<string>;

  constructor(name: string, args: PostgresImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("drkit:postgres:PostgresImage", name, {}, opts);
    const { version, imageRegistry } = args.spec.postgres;
    if (!imageRegistry) throw new Error("PostgresImage needs drkit:postgres.imageRegistry");
    const image = new docker.Image(
      `${name}-build`,
      {
        imageName: `${imageRegistry}:${version}-drkit`,
        build: { context: IMAGE_CONTEXT, dockerfile: join(IMAGE_CONTEXT, "Dockerfile"), args: { PG_MAJOR: String(version) }, platform: "linux/amd64" },
      },
      { parent: this },
    );
    this.imageRef = image.repoDigest;
    this.registerOutputs({ imageRef: this.imageRef });
  }
}

/** The image a cluster runs: the given ready image, or drkit's built from the Dockerfile. */
export function postgresImageRef(name: string, spec: DrSpec, opts?: pulumi.ComponentResourceOptions): pulumi.Output<string> {
  if (spec.postgres.image) return pulumi.output(spec.postgres.image);
  return new PostgresImage(name, { spec }, opts).imageRef;
}
