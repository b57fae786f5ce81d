import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isSecretInput, PROJECT_ROOT, renderStack, type RenderedStack } from "./harness/renderStack";

describe("renderStack records what the engine would see", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("prod", {
      program: join(PROJECT_ROOT, "test", "fixtures", "harnessProgram.ts"),
      fakeRandom: (name) => `FAKE-${name}`,
    });
  });

  it("records components and their children with parents", () => {
    const box = stack.named("box");
    expect(box.type).toBe("drkit:test:Box");
    expect(box.custom).toBe(false);
    const secret = stack.named("box-secret");
    expect(stack.parentOf(secret)?.name).toBe("box");
    expect(stack.parentOf(stack.named("box-password"))?.name).toBe("box");
    expect(stack.parentOf(box)?.type).toBe("pulumi:pulumi:Stack");
  });

  it("records the explicit provider, protect, retainOnDelete and dependsOn", () => {
    const secret = stack.named("box-secret");
    expect(secret.type).toBe("kubernetes:core/v1:Secret");
    expect(secret.provider).toMatch(/^urn:pulumi:prod::drkit::.*pulumi:providers:kubernetes::cluster::cluster-id$/);
    expect(secret.protect).toBe(true);
    expect(secret.retainOnDelete).toBe(true);
    expect(secret.dependsOn).toContain(stack.named("box-password").urn);
    expect(stack.named("box-password").protect).toBe(false);
  });

  it("unwraps secret inputs and notes where they were", () => {
    const secret = stack.named("box-secret");
    expect(secret.inputs["stringData"]).toEqual({ password: "FAKE-box-password" });
    // The Kubernetes SDK marks the whole of stringData secret.
    expect(isSecretInput(secret, "stringData.password")).toBe(true);
    expect(isSecretInput(secret, "metadata.name")).toBe(false);
  });

  it("resolves nested outputs of the stack", () => {
    expect(stack.outputs).toEqual({ secretName: "box-secret", nested: { plain: "value", fromOutput: "box-secret" } });
  });

  it("records what components register as outputs", () => {
    expect(stack.named("box").outputs).toEqual({ secretName: "box-secret" });
    expect(stack.named("box").secretOutputPaths).toEqual([]);
  });

  it("finds resources by type", () => {
    expect(stack.ofType("random:index/randomPassword:RandomPassword").map((r) => r.name)).toEqual(["box-password"]);
  });
});
