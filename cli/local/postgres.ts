import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bootstrapEnvironment,
  ownRepository,
  ownerPasswordVariable,
  renderBootstrapScript,
  renderPgbackrestConf,
  renderPgHba,
  renderPostgresqlConf,
  renderRestoreConf,
  sourceRepository,
  type PostgresLayout,
  type S3Endpoint,
} from "../../components/postgres";
import type { DrSpec } from "../../components/spec";
import { exited, freePort, handOver, killGroup, run, runOk, startDaemon, waitFor, type RunResult } from "./processes";
import type { LocalS3 } from "./s3";

/** Where the local binaries live; Debian's PostgreSQL packages put each major version apart. */
export const localPgBin = (version: number) => `/usr/lib/postgresql/${version}/bin`;

export interface LocalPostgresOptions {
  /** The stack spec whose rendered configuration this cluster runs. */
  spec: DrSpec;
  /** A directory owned by the service account (see serviceTempDir). */
  root: string;
  /** The local S3 endpoint standing in for the stack's bucket and the restore source. */
  s3: LocalS3;
  /** The repository cipher passphrase of this cluster's own repository. @default random */
  ownCipherPass?: string;
  /** The source repository's passphrase (dr/drill). */
  sourceCipherPass?: string;
  /** @default a free port */
  port?: number;
}

/**
 * A PostgreSQL cluster on local binaries that runs exactly what a drkit pod runs: the rendered
 * postgresql.conf, pg_hba.conf, pgbackrest configs and bootstrap script, with local paths,
 * ports and the local S3 endpoint in place of the cloud ones.
 */
export class LocalPostgres {
  readonly layout: PostgresLayout;
  readonly env: Record<string, string>;
  private server?: ReturnType<typeof startDaemon>;

  private constructor(
    readonly spec: DrSpec,
    readonly root: string,
    layout: PostgresLayout,
    env: Record<string, string>,
  ) {
    this.layout = layout;
    this.env = env;
  }

  static async create(options: LocalPostgresOptions): Promise<LocalPostgres> {
    const { spec, root, s3 } = options;
    const port = options.port ?? (await freePort());
    const layout: PostgresLayout = {
      pgBin: localPgBin(spec.postgres.version),
      dataDir: join(root, "volume", "pgdata"),
      configDir: join(root, "conf"),
      socketDir: root,
      port,
      spoolDir: join(root, "volume", "pgbackrest-spool"),
      lockDir: join(root, "lock"),
    };
    if (!existsSync(join(layout.pgBin, "postgres"))) {
      throw new Error(`PostgreSQL ${spec.postgres.version} is not installed (no ${layout.pgBin}/postgres); install it with: apt-get install postgresql-${spec.postgres.version}`);
    }
    const local = (bucket: string, region: string): S3Endpoint => ({ bucket, region, host: s3.host, port: s3.port, uriStyle: "path", verifyTls: false });
    const own = ownRepository(spec, local(spec.storage.bucket, spec.region));
    const source = spec.postgres.restoreFrom ? sourceRepository(spec, local(spec.postgres.restoreFrom.bucket, spec.postgres.restoreFrom.region)) : undefined;
    for (const dir of [layout.configDir, join(root, "volume"), layout.lockDir]) mkdirSync(dir, { recursive: true });
    const files: Record<string, string> = {
      "postgresql.conf": renderPostgresqlConf(spec, layout),
      "pg_hba.conf": renderPgHba(),
      "pgbackrest.conf": renderPgbackrestConf(spec, layout, own),
      "bootstrap.sh": renderBootstrapScript({ spec, layout, ...(source ? { source } : {}) }),
      ...(source ? { "pgbackrest-restore.conf": renderRestoreConf(spec, layout, source) } : {}),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(layout.configDir, name), text, { mode: 0o640 });
    handOver(root);

    const secret = () => randomBytes(18).toString("base64url");
    const env: Record<string, string> = {
      POSTGRES_PASSWORD: secret(),
      DRKIT_MONITOR_PASSWORD: secret(),
      PGBACKREST_REPO1_S3_KEY: s3.accessKeyId,
      PGBACKREST_REPO1_S3_KEY_SECRET: s3.secretAccessKey,
      PGBACKREST_REPO1_CIPHER_PASS: options.ownCipherPass ?? secret(),
      PGBACKREST_REPO2_S3_KEY: s3.accessKeyId,
      PGBACKREST_REPO2_S3_KEY_SECRET: s3.secretAccessKey,
      ...(options.sourceCipherPass ? { PGBACKREST_REPO2_CIPHER_PASS: options.sourceCipherPass } : {}),
    };
    for (const db of spec.postgres.databases) env[ownerPasswordVariable(db.owner)] = secret();
    const missing = bootstrapEnvironment(spec).filter((name) => !env[name]);
    if (missing.length > 0) throw new Error(`the local cluster lacks ${missing.join(", ")}`);
    return new LocalPostgres(spec, root, layout, env);
  }

  /** Runs the rendered bootstrap script, as an init container would. */
  bootstrap(): Promise<RunResult> {
    return run("bash", [join(this.layout.configDir, "bootstrap.sh")], { asService: true, env: this.env });
  }

  /** Starts the server as the main container does and waits until it accepts connections. */
  async start(timeoutMs = 60_000): Promise<void> {
    this.server = startDaemon(join(this.layout.pgBin, "postgres"), ["-D", this.layout.dataDir, "-c", `config_file=${this.layout.configDir}/postgresql.conf`], {
      asService: true,
      env: this.env,
    });
    const server = this.server;
    await waitFor(
      `PostgreSQL on port ${this.layout.port}`,
      async () => {
        if (server.child.exitCode !== null) throw new Error(`PostgreSQL exited ${server.child.exitCode}: ${server.output().slice(-2000)}`);
        return (await this.query("SELECT 1").catch(() => "")) === "1";
      },
      timeoutMs,
    );
  }

  /** Runs SQL as the superuser over the socket and returns psql's unaligned output. */
  async query(sql: string, database = "postgres"): Promise<string> {
    const result = await runOk(join(this.layout.pgBin, "psql"), ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", this.layout.socketDir, "-p", String(this.layout.port), "-U", "postgres", "-d", database], {
      asService: true,
      env: this.env,
      input: sql,
      timeoutMs: 120_000,
    });
    return result.stdout.trim();
  }

  /** pgBackRest against this cluster's own repository. */
  pgbackrest(args: string[], timeoutMs = 600_000): Promise<RunResult> {
    return run("pgbackrest", [`--config=${this.layout.configDir}/pgbackrest.conf`, `--stanza=${this.spec.postgres.backups.stanza}`, ...args], {
      asService: true,
      env: this.env,
      timeoutMs,
    });
  }

  /** The disaster: SIGKILL to the server and everything it started. */
  async kill(): Promise<void> {
    if (!this.server) return;
    killGroup(this.server.child, "SIGKILL");
    await exited(this.server.child, 30_000);
    this.server = undefined;
  }

  /** A clean shutdown. */
  async stop(): Promise<void> {
    if (!this.server) return;
    await run(join(this.layout.pgBin, "pg_ctl"), ["-D", this.layout.dataDir, "-m", "fast", "-w", "stop"], { asService: true, env: this.env });
    await exited(this.server.child, 60_000);
    this.server = undefined;
  }

  /** Whether the volume holds anything at all. */
  volumeEntries(): string[] {
    return readdirSync(join(this.root, "volume"));
  }

  /** Losing the volume: the data directory and the spool are gone. */
  wipeVolume(): void {
    rmSync(join(this.root, "volume"), { recursive: true, force: true });
    mkdirSync(join(this.root, "volume"));
    handOver(join(this.root, "volume"));
  }
}
