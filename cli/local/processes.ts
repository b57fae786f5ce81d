import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Running local binaries for `drkit drill` and the integration tests: PostgreSQL refuses to run
 * as root, so as root every database command runs as the `postgres` user (design.md §8).
 */

export interface Account {
  /** The command prefix that runs something as this account (empty: as ourselves). */
  prefix: string[];
  uid: number;
  gid: number;
}

let cachedAccount: Account | undefined;

/** The account PostgreSQL and pgBackRest run as: `postgres` when we are root, else ourselves. */
export function serviceAccount(): Account {
  if (cachedAccount) return cachedAccount;
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) {
    cachedAccount = { prefix: [], uid, gid: process.getgid?.() ?? 0 };
    return cachedAccount;
  }
  const passwd = readFileSync("/etc/passwd", "utf8");
  const line = passwd.split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root needs a 'postgres' user for PostgreSQL; install it with: apt-get install postgresql");
  const [, , u, g] = line.split(":");
  cachedAccount = { prefix: ["runuser", "-u", "postgres", "--preserve-environment", "--"], uid: Number(u), gid: Number(g) };
  return cachedAccount;
}

/** A temporary directory owned by the service account. */
export function serviceTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  handOver(dir);
  return dir;
}

/** Gives a directory tree to the service account. */
export function handOver(path: string): void {
  const { uid, gid } = serviceAccount();
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) handOver(join(path, entry));
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Run as the service account (PostgreSQL, pgBackRest). @default false */
  asService?: boolean;
  /** Standard input. */
  input?: string;
  /** Kill the command after this long. @default 10 minutes */
  timeoutMs?: number;
}

const children = new Set<ChildProcess>();

/** Every process started here and still running: stopped by `stopAll` on exit or Ctrl-C. */
export function runningChildren(): ReadonlySet<ChildProcess> {
  return children;
}

function spawnTracked(command: string, args: string[], options: RunOptions & { detached?: boolean; stdio?: SpawnOptions["stdio"] }): ChildProcess {
  const [cmd, ...rest] = options.asService ? [...serviceAccount().prefix, command, ...args] : [command, ...args];
  const child = spawn(cmd!, rest, {
    env: { ...process.env, ...options.env },
    stdio: options.stdio ?? ["pipe", "pipe", "pipe"],
    // Its own process group, so stopping it stops what it started too.
    detached: true,
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

/** Runs a command to completion; never throws on a non-zero exit (the caller decides). */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, options);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), options.timeoutMs ?? 600_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Runs a command and throws, with its stderr, unless it exits 0. */
export async function runOk(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code ?? result.signal}: ${(result.stderr || result.stdout).trim().split("\n").slice(-15).join("\n")}`);
  }
  return result;
}

/** Starts a long-running process (a server); its output goes to the returned buffers. */
export function startDaemon(command: string, args: string[], options: RunOptions = {}): { child: ChildProcess; output: () => string } {
  const child = spawnTracked(command, args, options);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  child.stdin?.end();
  return { child, output: () => output };
}

/** Sends a signal to a child's whole process group (runuser and the server under it). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Waits until a child has exited, up to a deadline. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Kills every process started here (SIGKILL to each process group) and waits for them. */
export async function stopAll(): Promise<void> {
  const all = [...children];
  for (const child of all) killGroup(child, "SIGKILL");
  await Promise.all(all.map((child) => exited(child, 10_000)));
}

/**
 * Polls `check` until it returns true or the deadline passes; then throws naming what was
 * awaited. The way to wait on a condition, instead of sleeping and hoping.
 */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
