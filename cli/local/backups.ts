import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backupJobLayout, renderBackupJobConf, renderBackupScript, renderDumpScript, renderVerifyConf, renderVerifyScript, type BackupJobLayout } from "../../components/backup";
import { ownRepository, tlsServerCommand, type S3Endpoint } from "../../components/postgres";
import type { SnapshotStore } from "../../components/redis";
import { freePort, handOver, run, runOk, startDaemon, waitFor, type RunResult } from "./processes";
import type { LocalPostgres } from "./postgres";
import type { LocalS3 } from "./s3";

/** Generates a CA, a server certificate for localhost and the backup client's certificate. */
async function issueCertificates(caDir: string, serverDir: string, clientDir: string): Promise<void> {
  const ca = join(caDir, "ca");
  const openssl = (args: string[]) => runOk("openssl", args);
  await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=drkit local CA", "-keyout", `${ca}.key`, "-out", `${ca}.crt`]);
  const issue = async (dir: string, name: string, subject: string, extensions: string) => {
    await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject, "-keyout", join(dir, "tls.key"), "-out", join(dir, `${name}.csr`)]);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    await openssl(["x509", "-req", "-in", join(dir, `${name}.csr`), "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-extfile", join(dir, `${name}.ext`), "-out", join(dir, "tls.crt")]);
    await runOk("cp", [`${ca}.crt`, join(dir, "ca.crt")]);
    chmodSync(join(dir, "tls.key"), 0o600);
  };
  await issue(serverDir, "server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await issue(clientDir, "client", "/CN=drkit-backup", "extendedKeyUsage=clientAuth\n");
}

/**
 * The backup, dump and verification jobs of a local cluster, running their rendered configs
 * and scripts. Backups go through pgBackRest's TLS server with client certificates, as in a
 * cluster.
 */
export class LocalBackupJobs {
  private constructor(
    readonly layout: BackupJobLayout,
    readonly env: Record<string, string>,
    private readonly pg: LocalPostgres,
    private readonly serverTlsDir: string,
    private readonly tlsPort: number,
  ) {}

  static async create(pg: LocalPostgres, s3: LocalS3, root: string): Promise<LocalBackupJobs> {
    const layout: BackupJobLayout = { ...backupJobLayout(pg.layout), configDir: join(root, "conf"), tlsDir: join(root, "tls"), workDir: join(root, "work"), lockDir: join(root, "lock") };
    const serverTlsDir = join(root, "server-tls");
    const caDir = join(root, "ca");
    for (const dir of [layout.configDir, layout.tlsDir, layout.workDir, layout.lockDir, serverTlsDir, caDir]) mkdirSync(dir, { recursive: true });
    await issueCertificates(caDir, serverTlsDir, layout.tlsDir);
    const tlsPort = await freePort();
    const { spec } = pg;
    const endpoint: S3Endpoint = { bucket: spec.storage.bucket, region: spec.region, host: s3.host, port: s3.port, uriStyle: "path", verifyTls: false };
    const repo = ownRepository(spec, endpoint);
    const dumps: SnapshotStore = { bucket: spec.storage.bucket, region: spec.region, endpointUrl: `https://${s3.host}:${s3.port}`, verifyTls: false, prefix: spec.storage.lifecycle.dumps.prefix };
    const files: Record<string, string> = {
      "pgbackrest.conf": renderBackupJobConf(spec, layout, repo, "localhost", tlsPort),
      "verify.conf": renderVerifyConf(spec, layout, repo),
      "backup.sh": renderBackupScript(spec, layout),
      "dump.sh": renderDumpScript(spec, layout, dumps, pg.layout.socketDir),
      "verify.sh": renderVerifyScript(spec, layout, pg.layout.pgBin),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(layout.configDir, name), text);
    handOver(root);
    const env = {
      ...pg.env,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      PYTHONWARNINGS: "ignore:Unverified HTTPS request",
      AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
      AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required",
    };
    return new LocalBackupJobs(layout, env, pg, serverTlsDir, tlsPort);
  }

  /** The pgBackRest TLS server sidecar, as on the PostgreSQL pod. */
  async startTlsServer(): Promise<void> {
    const [command, ...args] = tlsServerCommand(this.pg.layout, this.pg.spec.postgres.backups.stanza, this.serverTlsDir, this.tlsPort);
    const server = startDaemon(command!, args, { asService: true, env: this.pg.env });
    await waitFor(
      `the pgBackRest TLS server on port ${this.tlsPort}`,
      async () => {
        if (server.child.exitCode !== null) throw new Error(`pgbackrest server exited: ${server.output()}`);
        const ping = await run("pgbackrest", ["server-ping", "--tls-server-address=localhost", `--tls-server-port=${this.tlsPort}`], { asService: true });
        return ping.code === 0;
      },
      30_000,
      200,
    );
  }

  backup(type: "full" | "diff" | "incr"): Promise<RunResult> {
    return run("bash", [join(this.layout.configDir, "backup.sh"), type], { asService: true, env: this.env });
  }

  async dump(): Promise<RunResult> {
    const script = join(this.layout.configDir, "dump.sh");
    const dump = await run("bash", [script, "dump"], { asService: true, env: this.env });
    if (dump.code !== 0) return dump;
    const upload = await run("bash", [script, "upload"], { asService: true, env: this.env });
    return { ...upload, stderr: dump.stderr + upload.stderr };
  }

  verify(): Promise<RunResult> {
    return run("bash", [join(this.layout.configDir, "verify.sh")], { asService: true, env: this.env, timeoutMs: 1_800_000 });
  }

  /** The repository as pgBackRest reports it (JSON). */
  async info(): Promise<string> {
    return (await runOk("pgbackrest", [`--config=${this.layout.configDir}/pgbackrest.conf`, `--stanza=${this.pg.spec.postgres.backups.stanza}`, "--output=json", "info"], { asService: true, env: this.env })).stdout;
  }
}
