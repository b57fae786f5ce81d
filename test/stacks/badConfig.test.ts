import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { renderStack } from "../harness/renderStack";

describe("a bad configuration given to the program", () => {
  it("fails with every problem listed, as a RunError the CLI prints without a stack trace", async () => {
    const failure = await renderStack("prod", {
      config: {
        "drkit:role": "primery",
        "drkit:redis": { appendfsync: "sometimes", snapshots: { interval: "10m" } },
        "drkit:postgres": { image: "registry.example/pg", backups: { full: "every sunday" } },
      },
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(pulumi.RunError.isInstance(failure as Error)).toBe(true);
    const message = (failure as Error).message;
    expect(message).toContain("stack 'prod' has problems");
    expect(message).toMatch(/drkit:role must be one of 'primary', 'dr', 'drill', got 'primery'/);
    expect(message).toContain("drkit:redis.appendfsync");
    expect(message).toContain("drkit:postgres.backups.full");
    expect(message).toContain("fix: did you mean 'primary'?");
    expect(message).not.toMatch(/\n\s+at /);
  });
});
