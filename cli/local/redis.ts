import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ownSnapshotStore, redisContainerLayout, renderRedisAcl, renderRedisConf, renderRestoreScript, renderSnapshotScript, sourceSnapshotStore, type RedisLayout, type SnapshotStore } from "../../components/redis";
import type { DrSpec } from "../../components/spec";
import { exited, freePort, killGroup, run, runOk, startDaemon, waitFor, type RunResult } from "./processes";
import { RespClient } from "./resp";
import type { LocalS3 } from "./s3";

export interface LocalRedisOptions {
  spec: DrSpec;
  root: string;
  s3: LocalS3;
  port?: number;
}

/**
 * Redis on the local binary running exactly the rendered redis.conf, ACL and snapshot/restore
 * scripts, with local paths, a local port and the local S3 endpoint.
 */
export class LocalRedis {
  private server?: ReturnType<typeof startDaemon>;

  private constructor(
    readonly spec: DrSpec,
    readonly root: string,
    readonly layout: RedisLayout,
    readonly env: Record<string, string>,
    readonly password: string,
  ) {}

  static async create({ spec, root, s3, port }: LocalRedisOptions): Promise<LocalRedis> {
    if (!existsSync("/usr/bin/redis-server")) throw new Error("Redis is not installed; install it with: apt-get install redis-server redis-tools");
    const layout: RedisLayout = {
      ...redisContainerLayout(),
      dataDir: join(root, "data"),
      configDir: join(root, "conf"),
      aclFile: join(root, "conf", "users.acl"),
      workDir: join(root, "work"),
      bind: "127.0.0.1",
      port: port ?? (await freePort()),
    };
    for (const dir of [layout.dataDir, layout.configDir, layout.workDir]) mkdirSync(dir, { recursive: true });
    const local = (store: SnapshotStore): SnapshotStore => ({ ...store, endpointUrl: `https://${s3.host}:${s3.port}`, verifyTls: false });
    const password = randomBytes(18).toString("base64url").replace(/[^A-Za-z0-9_-]/g, "x");
    const source = sourceSnapshotStore(spec);
    const files: Record<string, string> = {
      "redis.conf": renderRedisConf(spec, layout),
      "users.acl": renderRedisAcl(spec, password),
      "snapshot.sh": renderSnapshotScript(spec, layout, local(ownSnapshotStore(spec)), "127.0.0.1"),
      ...(source ? { "restore.sh": renderRestoreScript(spec, layout, local(source)) } : {}),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(layout.configDir, name), text, { mode: 0o600 });
    const env = {
      REDISCLI_AUTH: password,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      // The local endpoint's self-signed certificate is expected; say so once, not per request.
      PYTHONWARNINGS: "ignore:Unverified HTTPS request",
      // Recent aws CLIs stream uploads as aws-chunked with a trailing checksum, which S3 decodes
      // and s3rver stores verbatim: ask for plain uploads from the local endpoint.
      AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
      AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required",
    };
    return new LocalRedis(spec, root, layout, env, password);
  }

  async start(timeoutMs = 60_000): Promise<void> {
    this.server = startDaemon("redis-server", [join(this.layout.configDir, "redis.conf")], { env: this.env });
    const server = this.server;
    await waitFor(
      `Redis on port ${this.layout.port}`,
      async () => {
        if (server.child.exitCode !== null) throw new Error(`redis-server exited ${server.child.exitCode}: ${server.output().slice(-2000)}`);
        const reply = await run("redis-cli", ["-p", String(this.layout.port), "--no-auth-warning", "ping"], { env: this.env });
        return reply.stdout.trim() === "PONG";
      },
      timeoutMs,
    );
  }

  /** A connection, authenticated. */
  async client(): Promise<RespClient> {
    const client = await RespClient.connect(this.layout.port);
    await client.command("AUTH", "default", this.password);
    return client;
  }

  cli(args: string[]): Promise<RunResult> {
    return runOk("redis-cli", ["-p", String(this.layout.port), "--no-auth-warning", ...args], { env: this.env });
  }

  /** The rendered snapshot job: dump, then upload and prune. */
  async snapshot(): Promise<RunResult> {
    const script = join(this.layout.configDir, "snapshot.sh");
    const dump = await run("bash", [script, "dump"], { env: this.env });
    if (dump.code !== 0) return dump;
    return run("bash", [script, "upload"], { env: this.env });
  }

  /** The rendered restore: fetch, then seed (what a dr stack's init containers run). */
  async restore(): Promise<RunResult> {
    const script = join(this.layout.configDir, "restore.sh");
    const fetch = await run("bash", [script, "fetch"], { env: this.env });
    if (fetch.code !== 0) return fetch;
    const seed = await run("bash", [script, "seed"], { env: this.env });
    return { ...seed, stderr: fetch.stderr + seed.stderr };
  }

  async kill(): Promise<void> {
    if (!this.server) return;
    killGroup(this.server.child, "SIGKILL");
    await exited(this.server.child, 30_000);
    this.server = undefined;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await run("redis-cli", ["-p", String(this.layout.port), "--no-auth-warning", "shutdown"], { env: this.env });
    await exited(this.server.child, 60_000);
    this.server = undefined;
  }

  dataEntries(): string[] {
    return readdirSync(this.layout.dataDir);
  }

  wipeData(): void {
    rmSync(this.layout.dataDir, { recursive: true, force: true });
    mkdirSync(this.layout.dataDir);
  }
}
