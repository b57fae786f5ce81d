import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DrSpec } from "../../components/config";
import { IMAGE_NAMES, imageBuildArgs, imageContext } from "../../components/workloads/images";
import type { ImageName } from "../../components/workloads/plan";
import { docker, dockerOk } from "./docker";

/**
 * drkit's images in the local engine, tagged by what they are built from (every file of the build
 * context and the build arguments): a changed Dockerfile or script is a new tag, so the tests and
 * the drill never run a stale image.
 */
export function localImageRefs(images: DrSpec["images"], postgresVersion: number): Record<ImageName, string> {
  const args = imageBuildArgs(images, postgresVersion);
  return Object.fromEntries(
    IMAGE_NAMES.map((name) => {
      const hash = createHash("sha256");
      for (const file of readdirSync(imageContext(name)).sort()) hash.update(file).update(readFileSync(join(imageContext(name), file)));
      hash.update(JSON.stringify(args));
      return [name, `drkit-${name}:local-${hash.digest("hex").slice(0, 12)}`];
    }),
  ) as Record<ImageName, string>;
}

/** Builds every missing image; `log` hears one line per build. Fails with the build's own output. */
export async function ensureLocalImages(images: DrSpec["images"], postgresVersion: number, log: (line: string) => void = () => {}): Promise<Record<ImageName, string>> {
  const refs = localImageRefs(images, postgresVersion);
  const base = await docker(["image", "inspect", images.base], { timeoutMs: 60_000 });
  if (base.code !== 0) {
    throw new Error(`the base image ${images.base} is not in the Docker engine; run scripts/setup.sh (it pulls it, or builds it from Debian packages when no registry answers)`);
  }
  for (const name of IMAGE_NAMES) {
    const present = await docker(["image", "inspect", refs[name]], { timeoutMs: 60_000 });
    if (present.code === 0) continue;
    log(`building drkit's ${name} image (${refs[name]}) from Debian packages...`);
    const buildArgs = Object.entries(imageBuildArgs(images, postgresVersion)).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]);
    await dockerOk(["build", "-q", ...buildArgs, "-t", refs[name], imageContext(name)], { timeoutMs: 30 * 60_000, env: { DOCKER_BUILDKIT: "0" } });
  }
  return refs;
}
