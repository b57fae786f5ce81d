import { spawn } from "node:child_process";

/**
 * The Docker engine through the docker CLI: the tool users already have and debug with, that
 * speaks to a local engine or a remote one (DOCKER_HOST=ssh://...) the same way, and whose
 * errors read as users see them. Every call has a deadline.
 */

export interface DockerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DockerOptions {
  /** Text, or a stream piped to stdin (a Node.js or streamx readable). */
  input?: string | { pipe(destination: NodeJS.WritableStream): unknown };
  /** Extra environment of the docker CLI itself (for `-e NAME` without a value). */
  env?: Record<string, string>;
  /** @default 10 minutes */
  timeoutMs?: number;
}

export class DockerError extends Error {
  constructor(
    readonly args: string[],
    readonly result: DockerResult,
  ) {
    super(`docker ${args.slice(0, 2).join(" ")} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim().split("\n").slice(-8).join("\n")}`);
  }
}

/** docker calls under way: whoever removes a run waits for them, so nothing is created behind its back. */
const inflight = new Set<Promise<DockerResult>>();

/** Resolves once every docker call under way (and any they lead to) has ended. */
export async function dockerSettled(): Promise<void> {
  while (inflight.size > 0) await Promise.allSettled([...inflight]);
}

export function docker(args: string[], options: DockerOptions = {}): Promise<DockerResult> {
  const call = run(args, options);
  inflight.add(call);
  const forget = () => inflight.delete(call);
  call.then(forget, forget);
  return call;
}

function run(args: string[], options: DockerOptions): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args, { env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run the docker CLI (${error.message}); install it with: apt-get install docker.io`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (typeof options.input === "string") child.stdin.end(options.input);
    else if (options.input) options.input.pipe(child.stdin);
    else child.stdin.end();
  });
}

/** Runs docker and fails with its own error output unless it exits 0. */
export async function dockerOk(args: string[], options: DockerOptions = {}): Promise<DockerResult> {
  const result = await docker(args, options);
  if (result.code !== 0) throw new DockerError(args, result);
  return result;
}

/** Whether an engine answers, and what it says when it does not. */
export async function engineStatus(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const result = await docker(["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 30_000 }).catch((error: Error) => ({ code: -1, stdout: "", stderr: error.message }));
  return result.code === 0 ? { ok: true } : { ok: false, reason: (result.stderr || result.stdout).trim().split("\n").at(-1) ?? "no answer" };
}
