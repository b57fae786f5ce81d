import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT, renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

/**
 * examples/docker-host/Pulumi.bot-dr.yaml on this machine's engine and without a registry: the
 * dr stack a team runs on the new droplet itself, building drkit's images there.
 */
describe("the example dr docker stack on the local engine, without a registry, under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("bot-dr", {
      stackFile: join(PROJECT_ROOT, "examples", "docker-host", "Pulumi.bot-dr.yaml"),
      config: { "drkit:host": { publishAddress: "127.0.0.1" }, "drkit:images": {} },
    });
  });

  it("uses the local engine and builds each image on it from drkit's Dockerfiles, pushing nowhere", () => {
    const providers = stack.resources.filter((r) => r.type === "pulumi:providers:docker");
    expect(providers.map((p) => p.inputs["host"])).toEqual(["unix:///var/run/docker.sock"]);
    expect(providers[0]!.inputs["registryAuth"]).toBeUndefined();
    expect(stack.ofType("docker:index/image:Image")).toEqual([]);
    const built = stack.ofType("docker:index/remoteImage:RemoteImage");
    expect(built.map((r) => r.inputs["name"]).sort()).toEqual(["drkit-jobs:15-drkit", "drkit-postgres:15-drkit", "drkit-redis:drkit"]);
    for (const image of built) {
      const build = image.inputs["build"] as { context: string; dockerfile: string; buildArgs: Record<string, string> };
      expect(build.dockerfile).toBe(join(build.context, "Dockerfile"));
      expect(build.buildArgs).toEqual({ BASE: "debian:bookworm-slim", PG_MAJOR: "15" });
    }
  });

  it("restores PostgreSQL from the primary's repository with the source's passphrase from the primary stack, as a file", () => {
    const bootstrap = stack.ofType("docker:index/container:Container").find((c) => c.inputs["name"] === "drkit-bot-dr-postgres-bootstrap")!;
    expect(bootstrap.inputs).toMatchObject({ start: true, attach: true, mustRun: false });
    const uploads = stack.ofType("docker:index/container:Container").find((c) => c.inputs["name"] === "drkit-bot-dr-postgres-prepare")!.inputs["uploads"] as { file: string; content: string }[];
    const source = uploads.find((u) => u.file === "/seed/env-bootstrap/PGBACKREST_REPO2_CIPHER_PASS");
    expect(source?.content).toMatch(/^FAKE-SECRET-stackref-/);
    expect(secretLeaks(stack)).toEqual([]);
  });

  it("publishes on the address the stack file names and keeps the dr stack's data", () => {
    const sandbox = stack.ofType("docker:index/container:Container").find((c) => c.inputs["name"] === "drkit-bot-dr-redis")!;
    expect(sandbox.inputs["ports"]).toEqual([
      { internal: 6379, external: 6379, ip: "127.0.0.1" },
      { internal: 9121, external: 9121, ip: "127.0.0.1" },
    ]);
    expect(stack.ofType("docker:index/volume:Volume").filter((v) => v.protect).map((v) => v.inputs["name"])).toContain("drkit-bot-dr-postgres-data");
  });
});
