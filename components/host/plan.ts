import { fsGroupStep } from "../workloads/fsGroup";
import { PATH } from "../workloads/names";
import { CONTAINER_SECURITY, isProjected, type ContainerPlan, type ImageName, type PodPlan, type Probe, type SecretValue, type ServerPlan, type VolumePlan, type WorkloadPlan } from "../workloads/plan";
import { probeCommand } from "../workloads/probes";
import { hostLabels, hostNames, type HostNames } from "./names";
import { schedulerPlan } from "./scheduler";
import { withSecretFiles } from "./secretFiles";

/**
 * A stack's workloads on one Docker host (docs/architecture.md §10): the plan mapped onto engine
 * objects, purely. The `DockerHost` component creates exactly these with `@pulumi/docker`; the
 * container tests create exactly these with the engine's CLI (`runHost`), so what a host runs is
 * what the tests ran.
 *
 * - A pod is a sandbox container (the network namespace, the pod's names on the stack's network,
 *   the published ports), its containers joined to it, as on a node.
 * - Before anything else of a pod, its prepare container (root, only the capabilities to own and
 *   read files) writes the pod's ConfigMap and Secret files into their volumes with their modes
 *   and gives every volume the pod's group, as kubelet does; for a job it also empties the job's
 *   scratch space, so each run starts clean.
 * - Secret variables are files (`withSecretFiles`); no secret is in a command, a label or an
 *   environment literal.
 * - A server's containers are started by `pulumi up` and restart with the engine
 *   (`unless-stopped`); a job's containers are created and left to the scheduler
 *   (`schedulerPlan`), which starts them on the job's schedule.
 */
export interface HostSettings {
  /** The stack's name (labels). */
  stack: string;
  /** Prefix of every engine name (`drkit:host.project`). */
  project: string;
  /** The plan's namespace: its qualified service names resolve on the host's network too. */
  namespace: string;
  /** The host address client and metrics ports are published on (`drkit:host.publishAddress`). */
  publishAddress: string;
}

/** A file a prepare container writes: a ConfigMap's text, or a secret value the target makes. */
export interface HostFile {
  /** Path in the prepare container: `/seed/<volume>/<key>`. */
  path: string;
  mode: number;
  /** A secret names the Secret it belongs to: that Secret's owner makes the value. */
  content: { text: string } | { secret: SecretValue; object: string };
}

export interface HostMount {
  type: "volume" | "bind";
  /** An engine volume's name, or a host path (the engine's socket). */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface HostHealthcheck {
  test: string[];
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  /** Failures in this time do not count: a server's startup allowance. */
  startPeriodSeconds: number;
}

export interface HostContainer {
  name: string;
  /** The plan's pod it belongs to. */
  pod: string;
  kind: "sandbox" | "prepare" | "init" | "container";
  image: ImageName;
  /** The whole argv (entrypoint and arguments). */
  command: string[];
  /** `uid:gid`. */
  user: string;
  groupAdd: string[];
  /** `NAME=value`, literals only: nothing secret. */
  env: string[];
  mounts: HostMount[];
  /** A sandbox is on the stack's network with the pod's names; a job's containers too; a server's containers join their sandbox. */
  network: { name: string; hostname: string; aliases: string[] } | { container: string } | "none";
  /** Ports a sandbox publishes on the host. */
  publish: { port: number; address: string }[];
  restart: "unless-stopped" | "no";
  /** Started by `pulumi up` (a server's) or left created for the scheduler (a job's). */
  start: boolean;
  /** What `pulumi up` waits for after starting it: its exit (prepare, init), its health, or nothing. */
  waitFor: "exit" | "healthy" | "none";
  healthcheck?: HostHealthcheck;
  readOnly: boolean;
  capAdd: string[];
  memory: number;
  /** Millicores. */
  cpu: number;
  stopGraceSeconds: number;
  /** Files copied into it before it starts (a prepare container's seed). */
  uploads: HostFile[];
  labels: Record<string, string>;
}

export interface HostVolume {
  name: string;
  pod: string;
  /** The plan's volume kind: `data` is kept (protected) outside a drill. */
  kind: VolumePlan["kind"];
  /** A memory-backed scratch volume: the local driver's tmpfs with this size. */
  tmpfsBytes?: number;
  retain: boolean;
  labels: Record<string, string>;
}

export interface DockerHostPlan {
  network: string;
  volumes: HostVolume[];
  /** In the order they are created (and, for a server, started). */
  containers: HostContainer[];
  labels: Record<string, string>;
}

/** The capabilities a prepare container needs to give files their owner, group and mode, and nothing else. */
export const PREPARE_CAPABILITIES = ["CHOWN", "FOWNER", "DAC_OVERRIDE"];
const SEED = "/seed";
const VOLUMES = "/volumes";

/** The host form of a stack's plan: secret variables as files, the scheduler for its jobs. */
export function hostWorkloadPlan(plan: WorkloadPlan, project: string): WorkloadPlan {
  const files = withSecretFiles(plan);
  const scheduler = schedulerPlan(files.jobs, hostNames(project));
  return { configMaps: [...files.configMaps, ...scheduler.configMaps], secrets: files.secrets, servers: [...files.servers, ...scheduler.servers], jobs: files.jobs };
}

/** Maps a host-form plan (`hostWorkloadPlan`) onto the engine's objects. */
export function dockerHostPlan(plan: WorkloadPlan, settings: HostSettings): DockerHostPlan {
  const names = hostNames(settings.project);
  const labels = hostLabels(settings.stack, settings.project);
  const volumes: HostVolume[] = [];
  const containers: HostContainer[] = [];

  const podVolumes = (pod: PodPlan, retainData: boolean) => {
    for (const volume of pod.volumes) {
      if (volume.kind === "engineSocket") continue;
      if (volume.kind === "serviceAccountToken") throw new Error(`pod ${pod.name} projects a ServiceAccount token: a Docker host has no ServiceAccount issuer (workloads there hold keys)`);
      volumes.push({
        name: names.volume(pod.name, volume.name),
        pod: pod.name,
        kind: volume.kind,
        ...(volume.kind === "scratch" && volume.memory ? { tmpfsBytes: volume.size } : {}),
        retain: volume.kind === "data" && retainData,
        labels,
      });
    }
  };

  const mountsOf = (pod: PodPlan, container: ContainerPlan): HostMount[] =>
    container.mounts.map((mount) => {
      const volume = pod.volumes.find((v) => v.name === mount.volume);
      if (!volume) throw new Error(`container '${container.name}' mounts '${mount.volume}', which pod ${pod.name} does not declare`);
      if (volume.kind === "engineSocket") return { type: "bind", source: PATH.engineSocket, target: mount.path, readOnly: false };
      return { type: "volume", source: names.volume(pod.name, volume.name), target: mount.path, readOnly: Boolean(mount.readOnly) || isProjected(volume) };
    });

  const prepare = (pod: PodPlan, job: boolean, start: boolean): HostContainer => {
    const uploads: HostFile[] = [];
    const steps: string[] = [];
    const mounts: HostMount[] = [];
    for (const volume of pod.volumes) {
      if (volume.kind === "engineSocket" || volume.kind === "serviceAccountToken") continue;
      const path = `${VOLUMES}/${volume.name}`;
      mounts.push({ type: "volume", source: names.volume(pod.name, volume.name), target: path, readOnly: false });
      if (volume.kind === "configMap" || volume.kind === "secret") {
        for (const [key, content] of projectedFiles(plan, pod, volume)) uploads.push({ path: `${SEED}/${volume.name}/${key}`, mode: volume.mode, content });
        // The files afresh, as kubelet projects them at each start: no stale key survives a change.
        steps.push(`find ${path} -mindepth 1 -delete && cp -a ${SEED}/${volume.name}/. ${path}/`);
      } else if (job && volume.kind !== "data") {
        steps.push(`find ${path} -mindepth 1 -delete`);
      }
      steps.push(fsGroupStep(path, isProjected(volume), pod.security));
    }
    return {
      name: names.prepare(pod.name),
      pod: pod.name,
      kind: "prepare",
      image: "jobs",
      command: ["sh", "-ec", steps.length > 0 ? steps.join(" && ") : "true"],
      user: "0:0",
      groupAdd: [],
      env: [],
      mounts,
      network: "none",
      publish: [],
      restart: "no",
      start,
      waitFor: "exit",
      // Not read-only: the seed is copied into its own filesystem before it starts.
      readOnly: false,
      capAdd: PREPARE_CAPABILITIES,
      memory: 64 * 2 ** 20,
      cpu: 250,
      stopGraceSeconds: 10,
      uploads,
      labels,
    };
  };

  const container = (pod: PodPlan, c: ContainerPlan, kind: "init" | "container", options: { start: boolean; network: HostContainer["network"]; restart: boolean }): HostContainer => {
    const unsupported = c.env.find(([, source]) => !("value" in source) && !("configMap" in source));
    if (unsupported) throw new Error(`container '${c.name}' of pod ${pod.name} reads ${unsupported[0]} from ${"secret" in unsupported[1] ? "a Secret: map the plan with withSecretFiles first" : "a role: a Docker host has no roles"}`);
    const env = c.env.map(([name, source]) => `${name}=${"value" in source ? source.value : configMapValue(plan, source as { configMap: string; key: string })}`);
    const probe = c.readinessProbe ?? c.livenessProbe ?? c.startupProbe;
    const healthcheck = kind === "container" && probe ? healthcheckOf(probe, c.startupProbe) : undefined;
    return {
      name: names.container(pod.name, c.name),
      pod: pod.name,
      kind,
      image: c.image,
      command: c.command,
      user: `${pod.security.uid}:${pod.security.gid}`,
      groupAdd: [String(pod.security.fsGroup)],
      env,
      mounts: mountsOf(pod, c),
      network: options.network,
      publish: [],
      restart: options.restart ? "unless-stopped" : "no",
      start: options.start,
      waitFor: kind === "init" ? "exit" : healthcheck ? "healthy" : "none",
      ...(healthcheck ? { healthcheck } : {}),
      readOnly: CONTAINER_SECURITY.readOnlyRootFilesystem,
      capAdd: [],
      memory: c.limits.memory,
      cpu: c.limits.cpu,
      stopGraceSeconds: pod.terminationGracePeriodSeconds,
      uploads: [],
      labels,
    };
  };

  const server = (s: ServerPlan) => {
    const pod = s.pod;
    podVolumes(pod, s.retainData);
    const hostname = `${pod.name}-0`;
    const aliases = [
      hostname,
      `${hostname}.${s.headlessService}`,
      `${hostname}.${s.headlessService}.${settings.namespace}.svc`,
      ...s.services.flatMap((svc) => [svc.name, `${svc.name}.${settings.namespace}.svc`]),
    ];
    const publish = serverPorts(s).map((port) => ({ port, address: settings.publishAddress }));
    const sandbox = names.sandbox(pod.name);
    containers.push({
      name: sandbox,
      pod: pod.name,
      kind: "sandbox",
      image: "jobs",
      command: ["sleep", "infinity"],
      user: "65534:65534",
      groupAdd: [],
      env: [],
      mounts: [],
      network: { name: names.network, hostname, aliases },
      publish,
      restart: "unless-stopped",
      start: true,
      waitFor: "none",
      readOnly: true,
      capAdd: [],
      memory: 16 * 2 ** 20,
      cpu: 50,
      stopGraceSeconds: 1,
      uploads: [],
      labels,
    });
    const joined = { container: sandbox };
    containers.push(prepare(pod, false, true));
    for (const c of pod.initContainers) containers.push(container(pod, c, "init", { start: true, network: joined, restart: false }));
    for (const c of pod.containers) containers.push(container(pod, c, "container", { start: true, network: joined, restart: pod.restartPolicy === "Always" }));
  };

  for (const s of plan.servers) server(s);
  for (const job of plan.jobs) {
    const pod = job.pod;
    podVolumes(pod, false);
    // A job's pod is its containers on the stack's network under the pod's name: nothing in a job talks over localhost.
    const network = { name: names.network, hostname: pod.name, aliases: [] };
    containers.push(prepare(pod, true, false));
    for (const c of pod.initContainers) containers.push(container(pod, c, "init", { start: false, network, restart: false }));
    for (const c of pod.containers) containers.push(container(pod, c, "container", { start: false, network, restart: false }));
  }
  return { network: names.network, volumes, containers, labels };
}

/** A server's ports the host publishes: its clients' (a Service that is not headless) and metrics ports; never a peer-only port such as pgBackRest's. */
function serverPorts(server: ServerPlan): number[] {
  const clientPorts = server.services.filter((svc) => !svc.headless).flatMap((svc) => svc.ports.map((p) => p.port));
  const metricsPorts = server.pod.containers.flatMap((c) => c.ports.filter((p) => p.name === "metrics").map((p) => p.port));
  return [...new Set([...clientPorts, ...metricsPorts])];
}

/** Every port a host-form plan publishes on the host: what its firewall admits. */
export const publishedPorts = (plan: WorkloadPlan): number[] => [...new Set(plan.servers.flatMap(serverPorts))].sort((a, b) => a - b);

function healthcheckOf(probe: Probe, startup: Probe | undefined): HostHealthcheck {
  return {
    test: probeCommand(probe),
    intervalSeconds: probe.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds ?? 5,
    retries: probe.failureThreshold ?? 3,
    // The startup probe's allowance (a restore may replay WAL for long): failures in it do not count.
    startPeriodSeconds: startup ? startup.periodSeconds * (startup.failureThreshold ?? 3) : 0,
  };
}

function configMapValue(plan: WorkloadPlan, source: { configMap: string; key: string }): string {
  const value = plan.configMaps.find((c) => c.name === source.configMap)?.files[source.key];
  if (value === undefined) throw new Error(`the plan has no ${source.configMap}/${source.key}`);
  return value;
}

/** The files a ConfigMap or Secret volume projects: its `items`, or every key. */
function projectedFiles(plan: WorkloadPlan, pod: PodPlan, volume: Extract<VolumePlan, { kind: "configMap" | "secret" }>): [string, HostFile["content"]][] {
  const all: Record<string, HostFile["content"]> | undefined =
    volume.kind === "configMap"
      ? mapValues(plan.configMaps.find((c) => c.name === volume.object)?.files, (text) => ({ text }))
      : secretFiles(plan, volume.object);
  if (!all) throw new Error(`pod ${pod.name} mounts ${volume.kind} '${volume.object}', which the plan does not have`);
  return (volume.items ?? Object.keys(all)).map((key) => {
    const content = all[key];
    if (!content) throw new Error(`${volume.kind} '${volume.object}' has no key '${key}'`);
    return [key, content];
  });
}

function secretFiles(plan: WorkloadPlan, name: string): Record<string, HostFile["content"]> | undefined {
  const secret = plan.secrets.find((s) => s.name === name);
  if (!secret) return undefined;
  return Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, { secret: value, object: secret.from?.[key] ?? name }]));
}

function mapValues<T, U>(record: Record<string, T> | undefined, f: (value: T) => U): Record<string, U> | undefined {
  return record ? Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)])) : undefined;
}

export type { HostNames };
