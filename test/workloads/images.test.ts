import { beforeAll, describe, expect, it } from "vitest";
import { renderProgram, type RenderedStack } from "../harness/renderStack";

/** DrkitImages on its narrow args alone (test/fixtures/programs/imagesAlone.ts). */
describe("DrkitImages alone, from its own args", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderProgram("imagesAlone");
  });

  it("builds what is asked for and not given, for the PostgreSQL version given, and nothing else", () => {
    const builds = stack.ofType("docker:index/image:Image");
    expect(builds.map((b) => b.name)).toEqual(["images-postgres"]);
    expect(builds[0]!.inputs).toMatchObject({ imageName: "registry.example/acme/drkit-postgres:16-drkit" });
  });

  it("hands out exactly the images asked for: the ready one as given", () => {
    const refs = stack.outputs["refs"] as Record<string, string>;
    expect(Object.keys(refs).sort()).toEqual(["jobs", "postgres"]);
    expect(refs["jobs"]).toBe("registry.example/acme/jobs@sha256:ready");
  });
});
