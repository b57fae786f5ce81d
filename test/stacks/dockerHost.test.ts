import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, renderStack, type RecordedResource, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

/**
 * examples/docker-host/Pulumi.bot.yaml under mocks: a docker-compose team's primary on one
 * droplet, reached over ssh. Nothing of Kubernetes; every workload container a docker.Container.
 */
const containers = (stack: RenderedStack) => stack.ofType("docker:index/container:Container");
const named = (stack: RenderedStack, name: string): RecordedResource => {
  const found = containers(stack).find((c) => c.inputs["name"] === name);
  if (!found) throw new Error(`no container ${name}: ${containers(stack).map((c) => String(c.inputs["name"])).join(", ")}`);
  return found;
};

describe("a docker stack under mocks (examples/docker-host, primary)", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("bot", { stackFile: join(PROJECT_ROOT, "examples", "docker-host", "Pulumi.bot.yaml") });
  });

  it("talks to the host's engine over ssh and makes no Kubernetes object", () => {
    const providers = stack.resources.filter((r) => r.type === "pulumi:providers:docker");
    expect(providers.map((p) => p.inputs["host"])).toEqual(["ssh://deploy@203.0.113.10"]);
    // The host pulls from the stack's registry with the deployer's login.
    // (a provider receives its settings as JSON text)
    expect(JSON.parse(String(providers[0]!.inputs["registryAuth"]))).toEqual([{ address: "registry.digitalocean.com" }]);
    // Every object on the host goes through that provider.
    const hostResources = stack.resources.filter((r) => r.custom && r.type.startsWith("docker:index/") && r.type !== "docker:index/image:Image");
    expect(hostResources.length).toBeGreaterThan(30);
    for (const r of hostResources) expect(r.provider, r.name).toMatch(/pulumi:providers:docker::docker-host::/);
    expect(stack.resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
    expect(stack.ofType("drkit:host:DockerHost")).toHaveLength(1);
  });

  it("runs each pod as a sandbox with its names and published ports, a prepare step, and its containers joined to it", () => {
    const sandbox = named(stack, "drkit-bot-postgres");
    expect(sandbox.inputs["networksAdvanced"]).toEqual([{ name: "drkit-bot", aliases: expect.arrayContaining(["postgres-0.postgres-headless", "postgres", "postgres.drkit.svc"]) }]);
    expect(sandbox.inputs["ports"]).toEqual([
      { internal: 5432, external: 5432, ip: "10.114.0.2" },
      { internal: 9187, external: 9187, ip: "10.114.0.2" },
    ]);
    const postgres = named(stack, "drkit-bot-postgres-postgres");
    expect(postgres.inputs).toMatchObject({ networkMode: "container:drkit-bot-postgres", user: "999:999", readOnly: true, restart: "unless-stopped", mustRun: true, wait: true, securityOpts: ["no-new-privileges"], capabilities: { drops: ["ALL"] } });
    expect(postgres.inputs["memory"]).toBe(2048);
    const prepare = named(stack, "drkit-bot-postgres-prepare");
    expect(prepare.inputs).toMatchObject({ user: "0:0", networkMode: "none", attach: true, capabilities: { drops: ["ALL"], adds: ["CHOWN", "FOWNER", "DAC_OVERRIDE"] } });
    // Fixed names: a replacement is made only once the old container is gone.
    expect(containers(stack).filter((c) => !c.deleteBeforeReplace)).toEqual([]);
    const bootstrap = named(stack, "drkit-bot-postgres-bootstrap");
    expect(bootstrap.inputs).toMatchObject({ attach: true, mustRun: false, restart: "no" });
    // Each step waits for the one before it to have exited 0 (its exit code is an input), as do the pod's containers.
    const after = (c: RecordedResource) => (c.inputs["labels"] as { label: string; value: string }[]).find((l) => l.label === "dev.drkit.after");
    expect(after(bootstrap)).toEqual({ label: "dev.drkit.after", value: "0" });
    expect(bootstrap.propertyDependencies["labels"]).toContain(named(stack, "drkit-bot-postgres-prepare").urn);
    expect(postgres.propertyDependencies["labels"]).toContain(bootstrap.urn);
    expect(after(named(stack, "drkit-bot-postgres-prepare"))).toBeUndefined();
  });

  it("creates every job's containers for the scheduler, starts none of them, and runs the scheduler with the engine's socket", () => {
    for (const name of ["drkit-bot-postgres-backup-full-prepare", "drkit-bot-postgres-backup-full-backup", "drkit-bot-postgres-dump-dump", "drkit-bot-postgres-dump-upload", "drkit-bot-redis-snapshot-upload"]) {
      expect(named(stack, name).inputs, name).toMatchObject({ start: false, mustRun: false, restart: "no" });
    }
    const scheduler = named(stack, "drkit-bot-scheduler-scheduler");
    expect(scheduler.inputs["mounts"]).toEqual(expect.arrayContaining([{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: false }]));
    const config = (named(stack, "drkit-bot-scheduler-prepare").inputs["uploads"] as { file: string; content: string }[]).find((u) => u.file === "/seed/config/jobs.json")!;
    const jobs = JSON.parse(config.content) as { jobs: { name: string; schedule: string; timeZone: string; containers: { name: string }[] }[] };
    expect(jobs.jobs.find((j) => j.name === "postgres-dump")).toMatchObject({ schedule: "30 4 * * *", timeZone: "Europe/Moscow", containers: [{ name: "drkit-bot-postgres-dump-prepare" }, { name: "drkit-bot-postgres-dump-dump" }, { name: "drkit-bot-postgres-dump-upload" }] });
  });

  it("keeps secrets out of every container's configuration: secret variables are uploaded files, and nothing generated leaks", () => {
    for (const c of containers(stack)) {
      const env = (c.inputs["envs"] as string[] | undefined) ?? [];
      expect(env.filter((e) => /PASS|SECRET|KEY=|AUTH/.test(e)), String(c.inputs["name"])).toEqual([]);
    }
    const uploads = named(stack, "drkit-bot-postgres-prepare").inputs["uploads"] as { file: string; permissions: string }[];
    expect(uploads.find((u) => u.file === "/seed/env-postgres/PGBACKREST_REPO1_CIPHER_PASS")).toMatchObject({ permissions: "0440", owner: "0" });
    expect(secretLeaks(stack)).toEqual([]);
  });

  it("protects and keeps the data volumes, and only those", () => {
    const volumes = stack.ofType("docker:index/volume:Volume");
    const kept = volumes.filter((v) => v.protect && v.retainOnDelete).map((v) => v.inputs["name"]);
    expect(volumes.filter((v) => v.protect !== v.retainOnDelete)).toEqual([]);
    expect(kept.sort()).toEqual(["drkit-bot-job-metrics-data", "drkit-bot-postgres-data", "drkit-bot-redis-data", "drkit-bot-scheduler-state"]);
    expect(volumes.find((v) => v.inputs["name"] === "drkit-bot-postgres-run")!.inputs).toMatchObject({ driver: "local", driverOpts: { type: "tmpfs" } });
  });

  it("pushes drkit's images to the stack's registry and pulls them onto the host, where the containers run them by id", () => {
    const remote = stack.ofType("docker:index/remoteImage:RemoteImage");
    expect(remote.map((r) => r.inputs["name"]).sort()).toEqual([
      "registry.digitalocean.com/bot/drkit-jobs:15-drkit@sha256:known-after-push",
      "registry.digitalocean.com/bot/drkit-postgres:15-drkit@sha256:known-after-push",
      "registry.digitalocean.com/bot/drkit-redis:drkit@sha256:known-after-push",
    ]);
    expect(named(stack, "drkit-bot-postgres-postgres").inputs["image"]).toBe("sha256:id-of-host-images-postgres");
  });
});
