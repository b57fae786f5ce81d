import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { secretLeaks } from "./leaks";

describe("staging's Redis under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("staging");
  });

  it("fills its empty volume from prod's newest snapshot before Redis starts", () => {
    const pod = (stack.named("redis", "kubernetes:apps/v1:StatefulSet").inputs["spec"] as any).template.spec;
    expect(pod.initContainers.map((c: any) => [c.name, c.command.at(-1)])).toEqual([
      ["restore-fetch", "fetch"],
      ["restore-seed", "seed"],
    ]);
    const config = stack.named("redis-config").inputs["data"] as Record<string, string>;
    expect(config["restore.sh"]).toContain("PREFIX='redis/prod/'");
    expect(config["restore.sh"]).toContain("BUCKET='trading-dr-prod-replica-eu-west-1'");
    expect(config["restore.sh"]).toContain("IF_MISSING='fail'");
    // The fetch assumes the Redis pod's role, which reads prod's snapshots; Redis itself gets no token.
    expect(pod.serviceAccountName).toBe("redis");
    const holders = [...pod.initContainers, ...pod.containers].filter((c: any) => (c.volumeMounts ?? []).some((m: any) => m.name === "aws-token")).map((c: any) => c.name);
    expect(holders).toEqual(["restore-fetch"]);
    expect(secretLeaks(stack)).toEqual([]);
  });
});
