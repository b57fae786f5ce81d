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

/**
 * The registry host of an image reference (`registry.digitalocean.com/bot/drkit-jobs:15` ->
 * `registry.digitalocean.com`), or undefined for Docker Hub's short names (`debian:bookworm-slim`).
 */
export function registryHost(reference: string): string | undefined {
  const first = reference.split("/")[0]!;
  return reference.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : undefined;
}

/** The registries a stack's images are pulled from: its own, and those of the ready images it names. */
export function imageRegistries(images: ImagesSpec): string[] {
  const references = [images.registry, images.postgres, images.redis, images.jobs].filter((r): r is string => r !== undefined);
  return [...new Set(references.map((r) => registryHost(r.includes("/") ? r : `${r}/x`)).filter((h): h is string => h !== undefined))].sort();
}
