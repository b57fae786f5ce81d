import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";

describe("the prod stack under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("prod");
  });

  it("registers the stack itself", () => {
    expect(stack.ofType("pulumi:pulumi:Stack")).toHaveLength(1);
  });

  it("exports the parsed spec with derived paths and schedules", () => {
    const drkit = stack.outputs["drkit"] as Record<string, any>;
    expect(drkit.role).toBe("primary");
    expect(drkit.postgres.repository).toBe("s3://trading-dr-prod-eu-central-1/pgbackrest/prod (stanza main)");
    expect(drkit.objectives.postgres).toEqual({ rpo: "5m", rto: "15m" });
    expect(drkit.redis.snapshots).toContain("'*/5 * * * *'");
  });
});
