import { readdirSync, utimesSync } from "node:fs";
import { join, resolve } from "node:path";
import { docker } from "../../cli/containers/docker";
import { waitFor } from "../../cli/containers/wait";
import { ARCHIVE_SETTLE_SECONDS } from "../../components/backup/archiveCheck";
import { ensureLocalImages } from "../../cli/containers/images";
import { startLocalCluster, type LocalCluster, type StackRun } from "../../cli/containers/cluster";
import { switchAndWaitArchived as switchWal } from "../../cli/containers/stores";
import { checkConfig } from "../../components/config";
import { rawSpecFromConfig, readStackFile, type DrSpec } from "../../components/config";

export type { StackRun };
export type Cluster = LocalCluster & { s3Directory: string };

const PROJECT_ROOT = resolve(__dirname, "..", "..");

/** A stack file of the project, parsed as the Pulumi program parses it. */
export function stackSpec(stack: string): DrSpec {
  const result = checkConfig(rawSpecFromConfig(readStackFile(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)).config), { stack });
  if (!result.ok) throw new Error(`Pulumi.${stack}.yaml has problems: ${JSON.stringify(result.problems)}`);
  return result.spec;
}

/** A local cluster for one test file: drkit's images (built when missing), its own network, endpoint and names. */
export async function startCluster(name: string, buckets: string[], spec: DrSpec): Promise<Cluster> {
  const images = await ensureLocalImages(spec.images, spec.postgres.version);
  const cluster = await startLocalCluster({ prefix: `drkit-it-${name}`, images, helperImage: spec.images.base, buckets, region: spec.region });
  return Object.assign(cluster, { s3Directory: cluster.s3.directory });
}

/** Switches to a new WAL segment and waits until the segment it closed is archived. */
export const switchAndWaitArchived = (run: StackRun) => switchWal(run.runner);

/** Series a server's container serves right now, as Prometheus would scrape them: name{labels} → value. */
export async function scrape(run: StackRun, server: string, port: number, container = "exporter"): Promise<Map<string, number>> {
  const response = await run.runner.exec(server, container, ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`]);
  const series = new Map<string, number>();
  for (const line of response.stdout.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)/.exec(line);
    if (match) series.set(match[1]!, Number(match[2]));
  }
  return series;
}

/** The value of the one series of `name` (whatever its labels), or undefined. */
export const seriesValue = (series: Map<string, number>, name: string) => [...series].find(([key]) => key === name || key.startsWith(`${name}{`))?.[1];

/** Kills one container of a job's pod while it runs, as a node failure or an OOM kill would. */
export async function killJobContainer(run: StackRun, job: string, container: string): Promise<void> {
  const names = await docker(["ps", "--filter", `name=${run.runner.options.runId}-${job}-`, "--format", "{{.Names}}"]);
  const name = names.stdout.split("\n").find((candidate) => candidate.endsWith(`-${container}`));
  if (!name) throw new Error(`no running container '${container}' of job ${job}:\n${names.stdout}`);
  await docker(["kill", name]);
}

/**
 * Starts `server` and kills its init container `container` as soon as `condition` (a command run
 * in it) succeeds: a pod that dies at that point of its start. Returns how the start ended (the
 * runner's PodFailed when the kill landed).
 */
export async function killInitContainerWhen(run: StackRun, server: string, container: string, what: string, condition: string[]): Promise<unknown> {
  const name = run.runner.initContainerName(server, container);
  const starting = run.runner.startServer(server).then(
    () => undefined,
    (error: unknown) => error,
  );
  await waitFor(what, async () => (await docker(["exec", name, ...condition])).code === 0, 300_000, 100);
  await docker(["kill", name]);
  return starting;
}

/**
 * Makes every WAL segment of a repository look older than the archive check's settling time, as
 * if the check ran minutes later (the local endpoint dates an object by its file's mtime).
 */
export function settleArchive(cluster: Cluster, bucket: string, repoPath: string): void {
  const aged = (Date.now() - (ARCHIVE_SETTLE_SECONDS + 60) * 1000) / 1000;
  const age = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) age(path);
      else utimesSync(path, aged, aged);
    }
  };
  age(join(cluster.s3Directory, bucket, ...repoPath.split("/"), "archive"));
}
