import { cpus } from "node:os";
import { pack } from "tar-stream";
import type { ContainerPlan, ImageName, JobPlan, PodPlan, Probe, SecretValue, VolumePlan, WorkloadPlan } from "../../components/workloads/plan";
import { fsGroupStep } from "../../components/workloads/fsGroup";
import { dataClaimName, PATH } from "../../components/workloads/names";
import { isProjected } from "../../components/workloads/plan";
import { withEnvFiles } from "../../components/host/secretFiles";
import { probeCommand } from "../../components/workloads/probes";
import { WEB_IDENTITY, WEB_IDENTITY_ENV } from "../../components/workloads/webIdentity";
import { docker, dockerOk, dockerSettled, type DockerResult } from "./docker";
import { startLocalSts, type LocalSts } from "./sts";

/**
 * Runs a workload plan in a Docker engine the way a kubelet runs it on a node:
 *
 * - a pod is a sandbox container that holds the network namespace (kubelet's pause container)
 *   on a network of the run; every container of the pod joins it, so they reach each other on
 *   127.0.0.1, and the pod's Service and pod DNS names resolve to it (network aliases);
 * - ConfigMap and Secret volumes are projected afresh at every pod start, each file with its
 *   mode, read-only;
 * - fsGroup is applied to every volume at every pod start, as kubelet's SetVolumeOwnership does:
 *   group ownership, group read/write (read for read-only volumes), setgid directories;
 *   `OnRootMismatch` skips the walk when the volume's root already matches;
 * - init containers run in order, each to completion; then the containers start, with the
 *   pod's user, groups, resources, a read-only root filesystem and no capabilities;
 * - deleting a pod keeps its data volume (a StatefulSet's claim); scratch volumes go with it;
 * - a job is a pod with restartPolicy Never, run to completion within its deadline;
 * - a pod that assumes a role gets its ServiceAccount's token projected, and a local STS
 *   (`startLocalSts`) exchanges it for credentials, as IAM would for the role that trusts it.
 *
 * Every container, volume and network carries the label `drkit.run=<runId>`; `destroy` removes
 * them all by that label.
 */

export interface RunnerOptions {
  /** Prefixes and labels everything this run creates; unique per run. */
  runId: string;
  /** The namespace the plan's DNS names use (`spec.cluster.namespace`). */
  namespace: string;
  /** drkit's images in this engine. */
  images: Record<ImageName, string>;
  /** A secret value, as this run makes it (generated passwords, local keys, certificates). */
  secretValue: (value: SecretValue) => string;
  /** The image of the helper containers (pod sandboxes, volume projection and ownership). */
  helperImage: string;
  /** Host names every pod resolves (the local S3 endpoint), name -> IP. */
  extraHosts?: Record<string, string>;
  /** Longest wait for a server to become ready. @default 10 minutes */
  readyTimeoutMs?: number;
  /**
   * For a plan whose pods assume roles: what the local STS grants (the local endpoint's key
   * pair) and the regions the aws CLI asks it in. @default none: the plan must hold keys
   */
  webIdentity?: { credentials: { accessKeyId: string; secretAccessKey: string }; regions: string[] };
}

export interface ContainerOutcome {
  name: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface JobOutcome {
  ok: boolean;
  /** Every container that ran, init containers first. */
  containers: ContainerOutcome[];
  /** All output, in order, for a failure message. */
  output: string;
}

interface PodInstance {
  sandbox: string;
  containers: Map<string, string>;
  scratchVolumes: string[];
  /** What each init container printed (they are gone once they exit, as in a pod). */
  initLogs: Map<string, string>;
}

const LABEL = "drkit.run";

/** The local STS's CA, written beside the token: only the containers that assume a role mount it. */
const STS_CA_FILE = "sts-ca.crt";

/**
 * A container that assumes a role trusts the local STS's CA: the aws CLI through AWS_CA_BUNDLE,
 * pgBackRest through each web-id repository's CA file (2.45 verifies STS against it). Against
 * AWS both use the system's CAs; this and the endpoint are what a local run substitutes.
 */
function stsTrust(container: ContainerPlan): string[] {
  if (!container.env.some(([name]) => name === WEB_IDENTITY_ENV.tokenFile)) return [];
  const ca = `${PATH.awsToken}/${STS_CA_FILE}`;
  const repositories = container.env.flatMap(([name, source]) => {
    const repo = /^PGBACKREST_REPO(\d+)_S3_KEY_TYPE$/.exec(name);
    return repo && "value" in source && source.value === "web-id" ? [`PGBACKREST_REPO${repo[1]}_STORAGE_CA_FILE=${ca}`] : [];
  });
  return [`AWS_CA_BUNDLE=${ca}`, ...repositories].flatMap((assignment) => ["-e", assignment]);
}

export class PodFailed extends Error {}

export class PlanRunner {
  private readonly pods = new Map<string, PodInstance>();
  /** Set by `destroy`: nothing new is created once the run is being removed. */
  private closing = false;
  private readonly cpuLimit = cpus().length;

  private constructor(
    readonly plan: WorkloadPlan,
    readonly options: RunnerOptions,
    /** The run's network. */
    readonly network: string,
    /** The address of this host on the run's network (where a local S3 endpoint listens). */
    readonly gateway: string,
    /** The local STS, when the plan's pods assume roles. */
    readonly sts?: LocalSts,
  ) {}

  static async create(plan: WorkloadPlan, options: RunnerOptions): Promise<PlanRunner> {
    const network = `${options.runId}-net`;
    await dockerOk(["network", "create", "--label", `${LABEL}=${options.runId}`, network]);
    const inspect = await dockerOk(["network", "inspect", network, "--format", "{{(index .IPAM.Config 0).Gateway}}"]);
    const serviceAccounts = [...plan.servers.map((s) => s.pod), ...plan.jobs.map((j) => j.pod)].flatMap((pod) => (pod.serviceAccount ? [pod.serviceAccount.name] : []));
    let sts: LocalSts | undefined;
    if (serviceAccounts.length > 0) {
      if (!options.webIdentity) throw new Error(`the plan's pods assume roles (${serviceAccounts.join(", ")}), and the run was given no webIdentity to grant them`);
      try {
        sts = await startLocalSts({
          runId: options.runId,
          network,
          image: options.images.jobs,
          namespace: options.namespace,
          serviceAccounts,
          regions: options.webIdentity.regions,
          credentials: options.webIdentity.credentials,
          audience: WEB_IDENTITY.audience,
          tokenSeconds: WEB_IDENTITY.expirationSeconds,
        });
      } catch (error) {
        await new PlanRunner(plan, options, network, "").destroy();
        throw error;
      }
    }
    return new PlanRunner(plan, options, network, inspect.stdout.trim(), sts);
  }

  private server(name: string) {
    const server = this.plan.servers.find((s) => s.pod.name === name);
    if (!server) throw new Error(`the plan has no server '${name}'`);
    return server;
  }

  private job(name: string): JobPlan {
    const job = this.plan.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`the plan has no job '${name}' (it has ${this.plan.jobs.map((j) => j.name).join(", ") || "none"})`);
    return job;
  }

  /** The engine's name of a server's data volume (`<runId>-data-<pod>-0`, as a StatefulSet's claim). */
  dataVolume(pod: string, volume = "data"): string {
    return `${this.options.runId}-${dataClaimName(pod, volume)}`;
  }

  /** Starts a server's pod and waits until every container is ready. */
  async startServer(name: string, overrides: { security?: Partial<PodPlan["security"]> } = {}): Promise<void> {
    const server = this.server(name);
    const pod: PodPlan = { ...server.pod, security: { ...server.pod.security, ...overrides.security } };
    const hostname = `${pod.name}-0`;
    const aliases = [
      hostname,
      `${hostname}.${server.headlessService}`,
      `${hostname}.${server.headlessService}.${this.options.namespace}.svc`,
      ...server.services.flatMap((s) => [s.name, `${s.name}.${this.options.namespace}.svc`]),
    ];
    const instance = await this.startPod(pod, `${this.options.runId}-${hostname}`, hostname, aliases, (v) => this.dataVolume(pod.name, v));
    try {
      for (const container of pod.containers) await this.waitReady(instance, container);
    } catch (error) {
      await this.deletePod(instance, { kill: true });
      throw error;
    }
    this.pods.set(name, instance);
  }

  /**
   * Deletes a server's pod: a clean stop (SIGTERM, then the grace period), or `kill` for a
   * disaster (SIGKILL). The data volume stays, as a StatefulSet's claim does.
   */
  async stopServer(name: string, options: { kill?: boolean } = {}): Promise<void> {
    const instance = this.pods.get(name);
    if (!instance) return;
    this.pods.delete(name);
    await this.deletePod(instance, { kill: options.kill ?? false, grace: this.server(name).pod.terminationGracePeriodSeconds });
  }

  /** Removes a server's data volume: the volume is lost. */
  async removeData(name: string): Promise<void> {
    const server = this.server(name);
    for (const volume of server.pod.volumes) if (volume.kind === "data") await docker(["volume", "rm", "-f", this.dataVolume(name, volume.name)]);
  }

  /**
   * Runs a shell script as root in a helper container with a server's data volume at /data: what
   * an operator does on a node (look at a volume, damage it in a test).
   */
  async onDataVolume(name: string, script: string, volume = "data"): Promise<string> {
    this.server(name);
    const result = await dockerOk(["run", "--rm", "--label", `${LABEL}=${this.options.runId}`, "--network", "none", "--mount", `type=volume,src=${this.dataVolume(name, volume)},dst=/data,volume-nocopy`, "--entrypoint", "sh", this.options.helperImage, "-ec", script]);
    return result.stdout;
  }

  /**
   * Runs a command in a running server's container; in a Docker host's plan, under the loader of
   * the container's secret variables, as its own command runs.
   */
  exec(name: string, container: string, command: string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<DockerResult> {
    const instance = this.pods.get(name);
    const id = instance?.containers.get(container);
    if (!id) throw new Error(`server '${name}' has no running container '${container}'`);
    const plan = this.server(name).pod.containers.find((c) => c.name === container)!;
    const env = Object.keys(options.env ?? {}).flatMap((key) => ["-e", key]);
    return docker(["exec", ...(options.input !== undefined ? ["-i"] : []), ...env, id, ...withEnvFiles(plan, command)], {
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.env ? { env: options.env } : {}),
      timeoutMs: options.timeoutMs ?? 600_000,
    });
  }

  /** A running server's address on the run's network (this host reaches it directly). */
  async address(name: string): Promise<string> {
    const instance = this.pods.get(name);
    if (!instance) throw new Error(`server '${name}' is not running`);
    const result = await dockerOk(["inspect", "--format", `{{(index .NetworkSettings.Networks "${this.network}").IPAddress}}`, instance.sandbox]);
    return result.stdout.trim();
  }

  /** The engine's name of a server's init container while it runs (`docker exec`, `docker kill`). */
  initContainerName(server: string, container: string): string {
    return `${this.options.runId}-${server}-0-${container}`;
  }

  /** What an init container of a running server printed, as `kubectl logs -c <init container>` shows it. */
  initLog(name: string, container: string): string {
    const log = this.pods.get(name)?.initLogs.get(container);
    if (log === undefined) throw new Error(`server '${name}' has no init container '${container}' that ran`);
    return log;
  }

  /** The id of a running server container (for `docker exec` by hand). */
  containerId(name: string, container: string): string {
    const id = this.pods.get(name)?.containers.get(container);
    if (!id) throw new Error(`server '${name}' has no running container '${container}'`);
    return id;
  }

  /** Runs one job of the plan to completion, as a Job's pod with restartPolicy Never. */
  async runJob(name: string, options: { deadlineMs?: number } = {}): Promise<JobOutcome> {
    const job = this.job(name);
    const pod = job.pod;
    const podName = `${this.options.runId}-${pod.name}-${Date.now().toString(36)}`;
    const outcomes: ContainerOutcome[] = [];
    const deadline = Date.now() + (options.deadlineMs ?? job.activeDeadlineSeconds * 1000);
    let instance: PodInstance | undefined;
    try {
      instance = await this.startPod(pod, podName, pod.name, [], () => {
        throw new Error(`job '${name}' declares a data volume; jobs use scratch space only`);
      }, outcomes, deadline);
      if (outcomes.every((o) => o.code === 0)) {
        for (const [containerName, id] of instance.containers) {
          const wait = await docker(["wait", id], { timeoutMs: Math.max(1000, deadline - Date.now()) });
          if (wait.code !== 0) await docker(["kill", id]);
          const logs = await docker(["logs", id]);
          outcomes.push({ name: containerName, code: wait.code === 0 ? Number(wait.stdout.trim()) : null, stdout: logs.stdout, stderr: logs.stderr });
        }
      }
    } finally {
      if (instance) await this.deletePod(instance, { kill: true });
    }
    const output = outcomes.map((o) => `--- ${o.name} (exit ${o.code ?? "killed at the deadline"})\n${o.stdout}${o.stderr}`).join("\n");
    return { ok: outcomes.length > 0 && outcomes.every((o) => o.code === 0), containers: outcomes, output };
  }

  /**
   * Removes every container, volume and network of this run, also when pods are starting or jobs
   * running (an interrupted drill): their containers go first, then the calls under way settle,
   * then whatever they created goes too.
   */
  async destroy(): Promise<void> {
    this.closing = true;
    await this.removeLabelled();
    await dockerSettled();
    await this.removeLabelled();
    await docker(["network", "rm", this.network]);
    this.pods.clear();
  }

  private async removeLabelled(): Promise<void> {
    const filter = ["--filter", `label=${LABEL}=${this.options.runId}`];
    const containers = (await docker(["ps", "-aq", ...filter])).stdout.split("\n").filter(Boolean);
    if (containers.length > 0) await docker(["rm", "-f", "-v", ...containers]);
    const volumes = (await docker(["volume", "ls", "-q", ...filter])).stdout.split("\n").filter(Boolean);
    if (volumes.length > 0) await docker(["volume", "rm", "-f", ...volumes]);
  }

  private ensureOpen(): void {
    if (this.closing) throw new PodFailed(`run ${this.options.runId} is being removed`);
  }

  // --- pods -------------------------------------------------------------------------------

  private async startPod(
    pod: PodPlan,
    podName: string,
    hostname: string,
    aliases: string[],
    dataVolume: (volume: string) => string,
    outcomes?: ContainerOutcome[],
    deadline?: number,
  ): Promise<PodInstance> {
    this.ensureOpen();
    const label = ["--label", `${LABEL}=${this.options.runId}`];
    const hosts = Object.entries(this.options.extraHosts ?? {}).flatMap(([host, ip]) => ["--add-host", `${host}:${ip}`]);
    const sandbox = `${podName}-sandbox`;
    await dockerOk([
      "run", "-d", "--name", sandbox, ...label, "--network", this.network, "--hostname", hostname,
      ...aliases.flatMap((alias) => ["--network-alias", alias]),
      ...hosts, "--entrypoint", "sleep", this.options.helperImage, "infinity",
    ]);
    const instance: PodInstance = { sandbox, containers: new Map(), scratchVolumes: [], initLogs: new Map() };
    try {
      const volumes = new Map<string, string>();
      for (const volume of pod.volumes) volumes.set(volume.name, await this.prepareVolume(volume, podName, pod, dataVolume, instance));
      await this.applyFsGroup(pod, volumes);
      for (const container of pod.initContainers) {
        const result = await this.runContainer(pod, container, podName, sandbox, volumes, { detach: false, ...(deadline ? { timeoutMs: Math.max(1000, deadline - Date.now()) } : {}) });
        const outcome = { name: container.name, code: result.code, stdout: result.stdout, stderr: result.stderr };
        instance.initLogs.set(container.name, result.stdout + result.stderr);
        if (outcomes) {
          outcomes.push(outcome);
          if (outcome.code !== 0) return instance;
        } else if (outcome.code !== 0) {
          throw new PodFailed(`init container '${container.name}' of pod ${hostname} exited ${outcome.code}:\n${(outcome.stdout + outcome.stderr).trim().split("\n").slice(-30).join("\n")}`);
        }
      }
      for (const container of pod.containers) {
        const result = await this.runContainer(pod, container, podName, sandbox, volumes, { detach: true });
        instance.containers.set(container.name, result.stdout.trim());
      }
      return instance;
    } catch (error) {
      await this.deletePod(instance, { kill: true });
      throw error;
    }
  }

  private async deletePod(instance: PodInstance, options: { kill: boolean; grace?: number }): Promise<void> {
    const ids = [...instance.containers.values()];
    if (ids.length > 0) {
      if (!options.kill) await docker(["stop", "-t", String(options.grace ?? 30), ...ids], { timeoutMs: ((options.grace ?? 30) + 60) * 1000 });
      await docker(["rm", "-f", ...ids]);
    }
    await docker(["rm", "-f", instance.sandbox]);
    if (instance.scratchVolumes.length > 0) await docker(["volume", "rm", "-f", ...instance.scratchVolumes]);
  }

  private async prepareVolume(volume: VolumePlan, podName: string, pod: PodPlan, dataVolume: (v: string) => string, instance: PodInstance): Promise<string> {
    this.ensureOpen();
    const label = ["--label", `${LABEL}=${this.options.runId}`];
    if (volume.kind === "engineSocket") throw new Error(`pod ${pod.name} mounts the engine's socket: it is a Docker host's scheduler, which runHost runs (cli/containers/host.ts)`);
    if (volume.kind === "data") {
      const name = dataVolume(volume.name);
      await dockerOk(["volume", "create", ...label, name]);
      return name;
    }
    const name = `${podName}-${volume.name}`;
    await docker(["volume", "rm", "-f", name]);
    instance.scratchVolumes.push(name);
    if (volume.kind === "scratch" && volume.memory) {
      await dockerOk(["volume", "create", ...label, "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", `o=size=${volume.size}`, name]);
      return name;
    }
    await dockerOk(["volume", "create", ...label, name]);
    if (volume.kind === "configMap" || volume.kind === "secret") await this.project(volume, name, pod);
    if (volume.kind === "serviceAccountToken") await this.projectToken(name, pod);
    return name;
  }

  /** The pod's ServiceAccount token, and the local STS's CA beside it (the one substitution of a role's path). */
  private async projectToken(target: string, pod: PodPlan): Promise<void> {
    if (!this.sts || !pod.serviceAccount) throw new Error(`pod ${pod.name} projects a ServiceAccount token, and it has no ServiceAccount with a role`);
    await this.writeFiles(target, 0o440, { token: this.sts.token(pod.serviceAccount.name), [STS_CA_FILE]: this.sts.ca });
  }

  /** Writes a ConfigMap's or Secret's keys into a volume as files with the volume's mode (root-owned, as kubelet writes them). */
  private async project(volume: Extract<VolumePlan, { kind: "configMap" | "secret" }>, target: string, pod: PodPlan): Promise<void> {
    let files: Record<string, string>;
    if (volume.kind === "configMap") {
      const config = this.plan.configMaps.find((c) => c.name === volume.object);
      if (!config) throw new Error(`pod ${pod.name} mounts ConfigMap '${volume.object}', which the plan does not have`);
      files = config.files;
    } else {
      const secret = this.plan.secrets.find((s) => s.name === volume.object);
      if (!secret) throw new Error(`pod ${pod.name} mounts Secret '${volume.object}', which the plan does not have`);
      files = Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, this.options.secretValue(value)]));
    }
    const keys = volume.items ?? Object.keys(files);
    const selected: Record<string, string> = {};
    for (const key of keys) {
      const content = files[key];
      if (content === undefined) throw new Error(`${volume.kind} '${volume.object}' has no key '${key}'`);
      selected[key] = content;
    }
    await this.writeFiles(target, volume.mode, selected);
  }

  private async writeFiles(target: string, mode: number, files: Record<string, string>): Promise<void> {
    const archive = pack();
    for (const [key, content] of Object.entries(files)) archive.entry({ name: key, mode, uid: 0, gid: 0 }, content);
    archive.finalize();
    await dockerOk(["run", "--rm", "-i", "--network", "none", "--mount", `type=volume,src=${target},dst=/v,volume-nocopy`, "--entrypoint", "tar", this.options.helperImage, "-x", "--same-permissions", "--same-owner", "-C", "/v"], {
      input: archive,
    });
  }

  /** kubelet's SetVolumeOwnership, for every volume of the pod. */
  private async applyFsGroup(pod: PodPlan, volumes: Map<string, string>): Promise<void> {
    const mounts: string[] = [];
    const steps: string[] = [];
    for (const volume of pod.volumes) {
      const path = `/v/${volume.name}`;
      mounts.push("--mount", `type=volume,src=${volumes.get(volume.name)},dst=${path},volume-nocopy`);
      steps.push(fsGroupStep(path, isProjected(volume), pod.security));
    }
    if (steps.length === 0) return;
    await dockerOk(["run", "--rm", "--network", "none", ...mounts, "--entrypoint", "sh", this.options.helperImage, "-ec", steps.join(" && ")]);
  }

  private async runContainer(pod: PodPlan, container: ContainerPlan, podName: string, sandbox: string, volumes: Map<string, string>, options: { detach: boolean; timeoutMs?: number }): Promise<DockerResult> {
    this.ensureOpen();
    const env: Record<string, string> = {};
    const envArgs: string[] = [];
    for (const [name, source] of container.env) {
      if ("value" in source) {
        envArgs.push("-e", `${name}=${source.value}`);
        continue;
      }
      if ("roleOf" in source) {
        if (!this.sts) throw new Error(`container '${container.name}' names the role of '${source.roleOf}', and the run has no STS`);
        envArgs.push("-e", `${name}=${this.sts.roleArn(source.roleOf)}`);
        continue;
      }
      if ("configMap" in source) {
        const value = this.plan.configMaps.find((c) => c.name === source.configMap)?.files[source.key];
        if (value === undefined) throw new Error(`container '${container.name}' reads ${source.configMap}/${source.key}, which the plan does not have`);
        envArgs.push("-e", `${name}=${value}`);
        continue;
      }
      const secret = this.plan.secrets.find((s) => s.name === source.secret);
      const value = secret?.data[source.key];
      if (!value) throw new Error(`container '${container.name}' reads ${source.secret}/${source.key}, which the plan does not have`);
      // Passed through the CLI's environment: a secret never appears in a command line.
      env[name] = this.options.secretValue(value);
      envArgs.push("-e", name);
    }
    envArgs.push(...stsTrust(container));
    const mountArgs = container.mounts.flatMap((m) => {
      const volume = volumes.get(m.volume);
      if (!volume) throw new Error(`container '${container.name}' mounts '${m.volume}', which pod ${pod.name} does not declare`);
      return ["--mount", `type=volume,src=${volume},dst=${m.path},volume-nocopy${m.readOnly ? ",readonly" : ""}`];
    });
    const [entrypoint, ...args] = container.command;
    const cpusLimit = Math.min(container.limits.cpu / 1000, this.cpuLimit);
    const runArgs = [
      "run", ...(options.detach ? ["-d"] : []), "--name", `${podName}-${container.name}`,
      "--label", `${LABEL}=${this.options.runId}`,
      "--network", `container:${sandbox}`,
      "--user", `${pod.security.uid}:${pod.security.gid}`, "--group-add", String(pod.security.fsGroup),
      "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
      "--memory", String(container.limits.memory), "--cpus", cpusLimit.toFixed(2), "--shm-size", "256m",
      ...(options.detach && pod.restartPolicy === "Always" ? ["--restart", "always"] : []),
      ...envArgs, ...mountArgs,
      "--entrypoint", entrypoint!, this.options.images[container.image], ...args,
    ];
    if (options.detach) return dockerOk(runArgs, { env });
    const result = await docker(runArgs, { env, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    await docker(["rm", "-f", `${podName}-${container.name}`]);
    return result;
  }

  private async waitReady(instance: PodInstance, container: ContainerPlan): Promise<void> {
    const probe = container.readinessProbe ?? container.startupProbe;
    const id = instance.containers.get(container.name)!;
    const limit = Date.now() + (this.options.readyTimeoutMs ?? 600_000);
    for (;;) {
      const state = await dockerOk(["inspect", "--format", "{{.State.Running}} {{.RestartCount}}", id]);
      const [running, restarts] = state.stdout.trim().split(" ");
      if (running !== "true" || Number(restarts) > 0) {
        const logs = await docker(["logs", "--tail", "30", id]);
        throw new PodFailed(`container '${container.name}' ${running === "true" ? "restarted" : "exited"} while starting:\n${(logs.stdout + logs.stderr).trim()}`);
      }
      if (!probe || (await this.probe(id, probe))) return;
      if (Date.now() > limit) throw new PodFailed(`container '${container.name}' did not become ready within ${(this.options.readyTimeoutMs ?? 600_000) / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  private async probe(id: string, probe: Probe): Promise<boolean> {
    const timeoutMs = (probe.timeoutSeconds ?? 5) * 1000;
    return (await docker(["exec", id, ...probeCommand(probe)], { timeoutMs })).code === 0;
  }
}
