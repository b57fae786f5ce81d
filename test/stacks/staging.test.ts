import { beforeAll, describe, expect, it } from "vitest";
import { renderStack, type RenderedStack } from "../harness/renderStack";

describe("the staging (drill) stack under mocks", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("staging");
  });

  it("is a drill that restores prod's replicated backups and archives to its own path", () => {
    const drkit = stack.outputs["drkit"] as Record<string, any>;
    expect(drkit.role).toBe("drill");
    expect(drkit.region).toBe("eu-west-1");
    expect(drkit.postgres.restoreFrom).toBe("s3://trading-dr-prod-replica-eu-west-1/pgbackrest/prod (eu-west-1), target latest");
    expect(drkit.postgres.repository).toBe("s3://trading-dr-staging-eu-west-1/pgbackrest/staging (stanza main)");
    expect(drkit.redis.restoreFrom).toBe("s3://trading-dr-prod-replica-eu-west-1/redis/prod/ (if missing: fail)");
    expect(drkit.storage.replication).toBe("none");
  });
});
