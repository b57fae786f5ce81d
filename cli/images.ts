import { ensureLocalImages } from "./containers/images";
import { engineStatus } from "./containers/docker";
import { loadStack } from "./stackSpec";

/** `drkit images`: builds drkit's images into the local engine (exit 0), or says why it cannot (2). */
export async function imagesCommand(options: { stack: string; file?: string }, out: (line: string) => void): Promise<number> {
  const loaded = loadStack(options);
  if ("missing" in loaded) {
    out(`drkit images: no stack file ${loaded.missing}\nfix: run it in the project directory, or pass --file`);
    return 2;
  }
  if ("invalid" in loaded) {
    out(`drkit images: ${loaded.invalid}`);
    return 2;
  }
  if (!loaded.result.ok) {
    out(`drkit images: stack '${options.stack}' has problems; run: drkit review --stack ${options.stack}`);
    return 2;
  }
  const engine = await engineStatus();
  if (!engine.ok) {
    out(`drkit images: no Docker engine answers (${engine.reason})\nfix: run scripts/setup.sh, which installs and starts one`);
    return 2;
  }
  const { spec } = loaded.result;
  try {
    const refs = await ensureLocalImages(spec.images, spec.postgres.version, out);
    for (const [name, ref] of Object.entries(refs)) out(`${name}: ${ref}`);
    return 0;
  } catch (error) {
    out(`drkit images: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}
