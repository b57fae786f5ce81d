import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { ImageName, SecretValue } from "../workloads/plan";
import type { DockerHostPlan, HostContainer, HostFile } from "./plan";

/**
 * The `@pulumi/docker` mapping of a Docker host's plan (`dockerHostPlan`): one resource per
 * network, volume and container of the plan, nothing decided here that the plan does not say.
 * The container runner's `HostRun` creates the same objects with the engine's CLI.
 */

/** What a host plan leaves to its target: the images on the host and the secrets' values. */
export interface DockerMapping {
  /** Each image, present on the host (a pulled or built image's id). */
  images: Partial<Record<ImageName, pulumi.Input<string>>>;
  /** The value of a key of a Secret, made by the component that declared the Secret (`HostPlacement`). */
  secretValue: (object: string, value: SecretValue) => pulumi.Input<string>;
}

const MB = 2 ** 20;
const labelsOf = (labels: Record<string, string>) => Object.entries(labels).map(([label, value]) => ({ label, value }));

function contentOf(file: HostFile, map: DockerMapping): pulumi.Input<string> {
  return "text" in file.content ? file.content.text : pulumi.secret(map.secretValue(file.content.object, file.content.secret));
}

/**
 * A digest of the files a pod's prepare container writes: a label on each of the pod's
 * containers, so that a changed file (a configuration, a rotated password) replaces them and
 * they start with it, as a rolled pod would. A hash, never the contents.
 */
function filesDigest(files: HostFile[], map: DockerMapping): pulumi.Output<string> {
  const digest = pulumi.all(files.map((file) => pulumi.all([file.path, file.mode, contentOf(file, map)]))).apply((entries) => {
    const hash = createHash("sha256");
    for (const [path, mode, content] of entries) hash.update(`${path}\0${mode}\0${content}\0`);
    return hash.digest("hex").slice(0, 16);
  });
  // One hash over every file, generated passwords and keys among them, tells nothing of any of
  // them: not a secret, so the labels stay readable in `drkit render` and the state.
  return pulumi.unsecret(digest);
}

function containerArgs(c: HostContainer, map: DockerMapping, network: docker.Network, digest: pulumi.Output<string> | undefined, after: pulumi.Output<string> | undefined): docker.ContainerArgs {
  const image = map.images[c.image];
  if (image === undefined) throw new Error(`container ${c.name} needs drkit's '${c.image}' image, which the host was not given`);
  const [entrypoint, ...args] = c.command;
  const networking: Partial<docker.ContainerArgs> =
    c.network === "none"
      ? { networkMode: "none" }
      : "container" in c.network
        ? { networkMode: `container:${c.network.container}` }
        : { hostname: c.network.hostname, networksAdvanced: [{ name: network.name, ...(c.network.aliases.length > 0 ? { aliases: c.network.aliases } : {}) }] };
  const longRunning = c.kind === "sandbox" || c.kind === "container";
  return {
    name: c.name,
    image,
    entrypoints: [entrypoint!],
    command: args,
    user: c.user,
    ...(c.groupAdd.length > 0 ? { groupAdds: c.groupAdd } : {}),
    ...(c.env.length > 0 ? { envs: c.env } : {}),
    mounts: c.mounts.map((m) => ({ type: m.type, source: m.source, target: m.target, readOnly: m.readOnly, ...(m.type === "volume" ? { volumeOptions: { noCopy: true } } : {}) })),
    ...networking,
    ...(c.publish.length > 0 ? { ports: c.publish.map((p) => ({ internal: p.port, external: p.port, ip: p.address })) } : {}),
    restart: c.restart,
    start: c.start,
    // A server's long-running containers must stay up; a step that exits, or a job's container
    // the scheduler starts and stops, must not count as drift.
    mustRun: longRunning && c.start,
    // `pulumi up` waits for a prepare or init container to end, and for a server to be healthy.
    ...(c.start && c.waitFor === "exit" ? { attach: true, logs: true } : {}),
    ...(c.start && c.waitFor === "healthy" ? { wait: true, waitTimeout: Math.max(60, (c.healthcheck?.startPeriodSeconds ?? 0) + 120) } : {}),
    ...(c.healthcheck
      ? {
          healthcheck: {
            tests: ["CMD", ...c.healthcheck.test],
            interval: `${c.healthcheck.intervalSeconds}s`,
            timeout: `${c.healthcheck.timeoutSeconds}s`,
            retries: c.healthcheck.retries,
            startPeriod: `${c.healthcheck.startPeriodSeconds}s`,
          },
        }
      : {}),
    readOnly: c.readOnly,
    capabilities: { drops: ["ALL"], ...(c.capAdd.length > 0 ? { adds: c.capAdd } : {}) },
    securityOpts: ["no-new-privileges"],
    memory: Math.max(6, Math.ceil(c.memory / MB)),
    cpus: (c.cpu / 1000).toFixed(2),
    stopTimeout: c.stopGraceSeconds,
    destroyGraceSeconds: c.stopGraceSeconds,
    ...(c.uploads.length > 0 ? { uploads: c.uploads.map((file) => ({ file: file.path, content: contentOf(file, map), permissions: `0${file.mode.toString(8)}`, owner: "0", group: "0" })) } : {}),
    labels: [...labelsOf(c.labels), ...(digest ? [{ label: "dev.drkit.files", value: digest }] : []), ...(after ? [{ label: "dev.drkit.after", value: after }] : [])],
  };
}

/**
 * A step's exit code, as a label value the pod's next containers carry: the provider waits for a
 * step to end (`attach`) but records a failure without failing, so this fails the deployment
 * with the step's name, and what comes after it in the pod is never created (as kubelet never
 * starts a pod's containers after a failed init container).
 */
function exitedCleanly(name: string, container: docker.Container): pulumi.Output<string> {
  return container.exitCode.apply((code) => {
    if (code !== undefined && code !== null && code !== 0) throw new Error(`${name} exited ${code}: \`docker logs ${name}\` on the host says why`);
    return "0";
  });
}

/** Creates a host plan's objects with `opts` (the parent, the host's provider); data volumes protected and kept when the plan says so. */
export function hostObjects(name: string, plan: DockerHostPlan, map: DockerMapping, opts: pulumi.CustomResourceOptions): { network: docker.Network; containers: Record<string, docker.Container> } {
  const network = new docker.Network(`${name}-network`, { name: plan.network, driver: "bridge", labels: labelsOf(plan.labels) }, opts);
  const volumes = Object.fromEntries(
    plan.volumes.map((v) => [
      v.name,
      new docker.Volume(
        v.name,
        {
          name: v.name,
          ...(v.tmpfsBytes ? { driver: "local", driverOpts: { type: "tmpfs", device: "tmpfs", o: `size=${v.tmpfsBytes}` } } : {}),
          labels: labelsOf(v.labels),
        },
        { ...opts, ...(v.retain ? { protect: true, retainOnDelete: true } : {}) },
      ),
    ]),
  );
  const digests = new Map<string, pulumi.Output<string>>();
  for (const c of plan.containers) if (c.kind === "prepare" && c.uploads.length > 0) digests.set(c.pod, filesDigest(c.uploads, map));
  const containers: Record<string, docker.Container> = {};
  // Within a pod, each container after the one before it (sandbox, prepare, init containers in order, containers).
  const lastOfPod = new Map<string, docker.Container>();
  // The last step of each pod that ran to its end, checked: exit 0, or the deployment stops there.
  const passed = new Map<string, pulumi.Output<string>>();
  for (const c of plan.containers) {
    const before = lastOfPod.get(c.pod);
    const mounted = c.mounts.flatMap((m) => (m.type === "volume" && volumes[m.source] ? [volumes[m.source]!] : []));
    const digest = c.kind === "sandbox" || c.kind === "prepare" ? undefined : digests.get(c.pod);
    // A container's name is fixed: its replacement (a new image, a changed file) can only be
    // created once the old one is gone, as a rolled pod's.
    const container = new docker.Container(c.name, containerArgs(c, map, network, digest, passed.get(c.pod)), { ...opts, deleteBeforeReplace: true, dependsOn: [network, ...mounted, ...(before ? [before] : [])] });
    containers[c.name] = container;
    // A pod's containers start together once its init containers are done: they wait on the last step, not on each other.
    if (c.kind !== "container") lastOfPod.set(c.pod, container);
    if (c.start && c.waitFor === "exit") passed.set(c.pod, exitedCleanly(c.name, container));
  }
  return { network, containers };
}
