import { pack } from "tar-stream";
import type { DockerHostPlan, HostContainer } from "../../components/host/plan";
import { ENV_FILES_PATH, WITH_ENV } from "../../components/host/secretFiles";
import type { ImageName, SecretValue } from "../../components/workloads/plan";
import { docker, dockerOk, dockerSettled, type DockerResult } from "./docker";
import { waitFor } from "./wait";

/**
 * Creates a Docker host's plan (`dockerHostPlan`) in this engine with the engine's CLI, object
 * for object as the `DockerHost` component creates it with `@pulumi/docker`: the network, the
 * volumes, then each container in order; a prepare container gets its files copied in before it
 * starts; a server's containers are started (prepare and init containers waited for until they
 * exit 0, containers with a health check until healthy); a job's are only created, for the
 * scheduler. `remove` deletes everything of the project: a lost host.
 */
export interface HostRunOptions {
  images: Record<ImageName, string>;
  /** A secret value, as this run makes it (generated passwords, local keys, certificates). */
  secretValue: (value: SecretValue) => string;
  /** Host names every container resolves (the local S3 endpoint), name -> IP. */
  extraHosts?: Record<string, string>;
  /** Longest wait for one container to exit or become healthy. @default 10 minutes */
  timeoutMs?: number;
  /** Hears one line per step. */
  log?: (line: string) => void;
}

export class HostRun {
  private constructor(
    readonly plan: DockerHostPlan,
    private readonly options: HostRunOptions,
  ) {}

  /** Deploys the plan: what `pulumi up` of a docker stack does on its host. */
  static async deploy(plan: DockerHostPlan, options: HostRunOptions): Promise<HostRun> {
    const run = new HostRun(plan, options);
    try {
      await run.create();
    } catch (error) {
      await run.remove();
      throw error;
    }
    return run;
  }

  private labelArgs(): string[] {
    return Object.entries(this.plan.labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]);
  }

  private async create(): Promise<void> {
    const existing = await docker(["network", "inspect", this.plan.network]);
    if (existing.code !== 0) await dockerOk(["network", "create", ...this.labelArgs(), this.plan.network]);
    for (const volume of this.plan.volumes) {
      const tmpfs = volume.tmpfsBytes ? ["--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", `o=size=${volume.tmpfsBytes}`] : [];
      await dockerOk(["volume", "create", ...this.labelArgs(), ...tmpfs, volume.name]);
    }
    for (const container of this.plan.containers) await this.createContainer(container);
  }

  private async createContainer(c: HostContainer): Promise<void> {
    const network =
      c.network === "none"
        ? ["--network", "none"]
        : "container" in c.network
          ? ["--network", `container:${c.network.container}`]
          : ["--network", c.network.name, "--hostname", c.network.hostname, ...c.network.aliases.flatMap((alias) => ["--network-alias", alias])];
    const hosts = c.network !== "none" && !("container" in c.network) ? Object.entries(this.options.extraHosts ?? {}).flatMap(([host, ip]) => ["--add-host", `${host}:${ip}`]) : [];
    const health = c.healthcheck
      ? [
          "--health-cmd", shellJoin(c.healthcheck.test),
          "--health-interval", `${c.healthcheck.intervalSeconds}s`, "--health-timeout", `${c.healthcheck.timeoutSeconds}s`,
          "--health-retries", String(c.healthcheck.retries), "--health-start-period", `${c.healthcheck.startPeriodSeconds}s`,
        ]
      : [];
    const [entrypoint, ...args] = c.command;
    await dockerOk([
      "create", "--name", c.name, ...this.labelArgs(), ...network, ...hosts,
      ...c.publish.flatMap((p) => ["--publish", `${p.address}::${p.port}`]),
      "--user", c.user, ...c.groupAdd.flatMap((g) => ["--group-add", g]),
      ...(c.readOnly ? ["--read-only"] : []), "--cap-drop", "ALL", ...c.capAdd.flatMap((cap) => ["--cap-add", cap]), "--security-opt", "no-new-privileges",
      "--memory", String(c.memory), "--cpus", (c.cpu / 1000).toFixed(2), "--stop-timeout", String(c.stopGraceSeconds), "--restart", c.restart,
      ...c.env.flatMap((e) => ["--env", e]),
      ...c.mounts.map((m) => `--mount=type=${m.type},src=${m.source},dst=${m.target}${m.type === "volume" ? ",volume-nocopy" : ""}${m.readOnly ? ",readonly" : ""}`),
      ...health,
      "--entrypoint", entrypoint!, this.options.images[c.image], ...args,
    ]);
    if (c.uploads.length > 0) {
      const archive = pack();
      for (const file of c.uploads) {
        const content = "text" in file.content ? file.content.text : this.options.secretValue(file.content.secret);
        archive.entry({ name: file.path.replace(/^\//, ""), mode: file.mode, uid: 0, gid: 0 }, content);
      }
      archive.finalize();
      await dockerOk(["cp", "-", `${c.name}:/`], { input: archive });
    }
    if (!c.start) return;
    this.options.log?.(`starting ${c.name}`);
    await dockerOk(["start", c.name]);
    if (c.waitFor === "exit") await this.waitExit(c.name);
    if (c.waitFor === "healthy") await this.waitHealthy(c.name);
  }

  private async waitExit(name: string): Promise<void> {
    const wait = await docker(["wait", name], { timeoutMs: this.options.timeoutMs ?? 600_000 });
    if (wait.code !== 0 || wait.stdout.trim() !== "0") {
      const logs = await docker(["logs", "--tail", "40", name]);
      throw new Error(`${name} exited ${wait.stdout.trim() || "(did not end)"}:\n${(logs.stdout + logs.stderr).trim()}`);
    }
  }

  private async waitHealthy(name: string): Promise<void> {
    let last = "";
    try {
      await waitFor(
        `${name} to become healthy`,
        async () => {
          last = (await dockerOk(["inspect", "--format", "{{.State.Status}} {{.State.Health.Status}}", name])).stdout.trim();
          if (last.startsWith("exited") || last.endsWith("unhealthy")) throw new Error(`${name} is ${last}`);
          return last === "running healthy";
        },
        this.options.timeoutMs ?? 600_000,
        500,
      );
    } catch (error) {
      const logs = await docker(["logs", "--tail", "40", name]);
      throw new Error(`${error instanceof Error ? error.message : String(error)}:\n${(logs.stdout + logs.stderr).trim()}`);
    }
  }

  /** The host port a sandbox publishes a pod's port on. */
  async publishedPort(pod: string, port: number): Promise<number> {
    const sandbox = this.plan.containers.find((c) => c.pod === pod && c.kind === "sandbox");
    if (!sandbox) throw new Error(`the host plan has no pod '${pod}'`);
    const result = await dockerOk(["port", sandbox.name, String(port)]);
    const match = /:(\d+)\s*$/m.exec(result.stdout.trim());
    if (!match) throw new Error(`${sandbox.name} publishes no port ${port}: ${result.stdout}`);
    return Number(match[1]);
  }

  /** The engine's name of a pod's container. */
  container(pod: string, container: string): HostContainer {
    const found = this.plan.containers.find((c) => c.pod === pod && c.name.endsWith(`-${container}`) && (c.kind === "container" || c.kind === "init"));
    if (!found) throw new Error(`the host plan has no container '${container}' in pod '${pod}'`);
    return found;
  }

  /**
   * Runs a command in a running container, as an operator would with `docker exec`: under the
   * loader of the container's secret variables when it has any (a password redis-cli reads).
   */
  exec(pod: string, container: string, command: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<DockerResult> {
    const c = this.container(pod, container);
    const wrapped = c.mounts.some((m) => m.target === ENV_FILES_PATH) ? ["bash", "-c", WITH_ENV, "with-env", ENV_FILES_PATH, ...command] : command;
    return docker(["exec", ...(options.input !== undefined ? ["-i"] : []), c.name, ...wrapped], { ...(options.input !== undefined ? { input: options.input } : {}), timeoutMs: options.timeoutMs ?? 600_000 });
  }

  /** Everything of the project, gone: the containers, their volumes, the network (a lost host). */
  async remove(): Promise<void> {
    const filter = ["--filter", `label=dev.drkit.project=${this.plan.labels["dev.drkit.project"]}`];
    const containers = (await docker(["ps", "-aq", ...filter])).stdout.split("\n").filter(Boolean);
    if (containers.length > 0) await docker(["rm", "-f", "-v", ...containers]);
    await dockerSettled();
    const volumes = (await docker(["volume", "ls", "-q", ...filter])).stdout.split("\n").filter(Boolean);
    if (volumes.length > 0) await docker(["volume", "rm", "-f", ...volumes]);
    await docker(["network", "rm", this.plan.network]);
  }
}

/** The argv as one shell command line (the engine's CLI takes a health check as a string). */
function shellJoin(argv: string[]): string {
  return argv.map((word) => (/^[A-Za-z0-9_./:=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(" ");
}
