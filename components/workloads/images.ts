import { join } from "node:path";
import type { ImagesSpec } from "../config";
export { isPinned } from "../config/imageReferences";
import type { ImageName } from "./plan";

/** drkit's image Dockerfiles: images/<name>/Dockerfile (copied next to dist/ by the build). */
export const IMAGES_DIR = join(__dirname, "..", "..", "images");

export const IMAGE_NAMES: readonly ImageName[] = ["postgres", "redis", "jobs"];

/** An image's build context. */
export const imageContext = (name: ImageName) => join(IMAGES_DIR, name);

/** The repository an image is pushed to under a registry: `<registry>/drkit-<name>`. */
export const imageRepository = (registry: string, name: ImageName) => `${registry.replace(/\/+$/, "")}/drkit-${name}`;

/** Build arguments of every image: the base, and the PostgreSQL major version where it matters. */
export function imageBuildArgs(images: ImagesSpec, postgresVersion: number): Record<string, string> {
  return { BASE: images.base, PG_MAJOR: String(postgresVersion) };
}

/** The tag of a build: the PostgreSQL major version is part of what the image is. */
export const imageTag = (name: ImageName, postgresVersion: number) => (name === "redis" ? "drkit" : `${postgresVersion}-drkit`);
