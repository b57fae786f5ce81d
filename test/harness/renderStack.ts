import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { previewStack, type PreviewOptions, type RenderedStack } from "../../cli/render/preview";

export { FAKE_ACCOUNT, FAKE_DEPLOYER_ROLE, isSecretInput, type RecordedResource, type RenderedStack } from "../../cli/render/preview";

/** The project root: where Pulumi.yaml and the stack files live. */
export const PROJECT_ROOT = resolve(__dirname, "..", "..");

export type RenderOptions = Partial<Omit<PreviewOptions, "project" | "stack">>;

/** Previews one of the project's stacks (`Pulumi.<stack>.yaml` unless `stackFile`) under mocks. */
export async function renderStack(stack: string, options: RenderOptions = {}): Promise<RenderedStack> {
  const project = (parseYaml(readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name;
  const stackFile = options.stackFile ?? join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) throw new Error(`no stack file ${stackFile}`);
  return previewStack({ ...options, project, stack, stackFile });
}

/**
 * Previews a program of test/fixtures/programs (a component deployed alone from its own args)
 * under mocks, with the prod stack file for the configuration it does not read.
 */
export function renderProgram(fixture: string): Promise<RenderedStack> {
  return renderStack("prod", { program: join(PROJECT_ROOT, "test", "fixtures", "programs", `${fixture}.ts`) });
}
