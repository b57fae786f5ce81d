import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { docker, dockerOk } from "../../cli/containers/docker";
import type { StackRun } from "./harness";

const run = promisify(execFile);

/** A data volume with a real size, which can be expanded as a CSI driver expands a claim. */
export interface BoundedVolume {
  /** The engine's name of the volume (the server's data volume). */
  readonly name: string;
  /**
   * Grows the block device and its ext4 file system while no pod has it mounted: the offline
   * expansion a CSI driver does at the pod's next start (online ext4 resizing needs
   * CAP_SYS_RESOURCE, which the machines the tests run on may not grant).
   */
  expand(sizeMiB: number): Promise<void>;
  /** What kubelet reports for it: `1 - available/capacity` of the mounted file system. */
  usedRatio(): Promise<number>;
  /** Removes the volume, its loop device and its image (after the pod is gone). */
  release(): Promise<void>;
}

/**
 * Gives a server a data volume of `sizeMiB` before its pod first starts: an ext4 file system on
 * a loop device over a sparse file, as a block-backed claim is, so that it fills up and can be
 * expanded. The runner finds the volume already there, as a StatefulSet finds its claim. The
 * runner's own data volumes are unbounded directories of the engine's file system.
 *
 * Needs root and a loop device, which a machine that runs the Docker engine has.
 */
export async function boundedDataVolume(stack: StackRun, server: string, sizeMiB: number): Promise<BoundedVolume> {
  const name = stack.runner.dataVolume(server);
  const directory = mkdtempSync(join(tmpdir(), "drkit-volume-"));
  const image = join(directory, "volume.img");
  await run("truncate", ["-s", `${sizeMiB}M`, image]);
  // ext4's defaults, as a provisioner formats a claim (5 % reserved for root: uid 999 never gets it).
  await run("mkfs.ext4", ["-q", "-F", image]);
  const device = (await run("losetup", ["--find", "--show", image])).stdout.trim();
  await dockerOk(["volume", "create", "--label", `drkit.run=${stack.runner.options.runId}`, "--driver", "local", "--opt", "type=ext4", "--opt", `device=${device}`, name]);
  const mountedAt = async () => (await run("findmnt", ["--source", device, "--noheadings", "--output", "TARGET", "--first-only"]).catch(() => ({ stdout: "" }))).stdout.trim();
  return {
    name,
    async expand(newSizeMiB) {
      const mount = await mountedAt();
      if (mount) throw new Error(`volume ${name} is mounted at ${mount}: stop its pod before expanding it`);
      await run("truncate", ["-s", `${newSizeMiB}M`, image]);
      await run("losetup", ["--set-capacity", device]);
      await run("e2fsck", ["-f", "-y", device]);
      await run("resize2fs", [device]);
    },
    async usedRatio() {
      const mount = await mountedAt();
      if (!mount) throw new Error(`volume ${name} is not mounted by any pod`);
      const [available, capacity] = (await run("stat", ["--file-system", "--format", "%a %b", mount])).stdout.trim().split(" ").map(Number);
      return 1 - available! / capacity!;
    },
    async release() {
      await docker(["volume", "rm", "-f", name]);
      await run("losetup", ["--detach", device]).catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

