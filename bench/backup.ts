/**
 * Backup throughput on this machine, in one run: pgBackRest full and differential backups of a
 * >= 1 GiB database by the backup job pods of the plan (through the pgBackRest TLS server, zstd,
 * process-max from the spec, to a local S3 endpoint over TLS), against `pg_dump -Fc | gzip` of
 * the same data in the same PostgreSQL container.
 *
 *   npx tsx bench/backup.ts [--size 1GiB]
 *
 * Prints figures; passes or fails nothing.
 */
import { parseArgs } from "node:util";
import { startLocalCluster } from "../cli/containers/cluster";
import { ensureLocalImages } from "../cli/containers/images";
import { formatSize, parseSize, parseSpec } from "../components/config";
import { rate, seconds, timed } from "./measure";

const { values } = parseArgs({ options: { size: { type: "string", default: "1GiB" } } });
const size = parseSize(values.size!);
if (!size.ok) throw new Error(`--size ${size.message}`);

async function main() {
  const parsed = parseSpec(
    { role: "primary", region: "us-east-1", storage: { bucket: "drkit-bench" }, images: { registry: "local" }, postgres: { resources: { cpu: "2", memory: "2Gi" }, storage: { size: "20Gi" } }, redis: { enabled: false }, cluster: { workloadIdentity: { type: "static-keys" } } },
    { stack: "bench" },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const spec = parsed.spec;
  const images = await ensureLocalImages(spec.images, spec.postgres.version);
  const cluster = await startLocalCluster({ prefix: "drkit-bench-backup", images, helperImage: spec.images.base, buckets: ["drkit-bench"] });
  try {
    const run = await cluster.stack(spec, { own: "bench-cipher" });
    await run.runner.startServer("postgres");
    const scale = Math.max(1, Math.round((size.ok ? size.value : 0) / (15 * 2 ** 20)));
    const inPostgres = async (script: string) => {
      const result = await run.runner.exec("postgres", "postgres", ["bash", "-c", script], { timeoutMs: 3_600_000 });
      if (result.code !== 0) throw new Error(result.stderr);
      return result.stdout.trim();
    };
    await inPostgres(`pgbench -i -q -s ${scale} -h /var/run/postgresql -U postgres app`);
    const dataBytes = Number((await inPostgres("du -sb /var/lib/postgresql/data/pgdata")).split("\t")[0]);
    console.log(`drkit backup benchmark: pgbench scale ${scale}, data directory ${formatSize(Math.round(dataBytes / 2 ** 20) * 2 ** 20)}`);
    const [full, fullMs] = await timed(() => run.runner.runJob("postgres-backup-full"));
    if (!full.ok) throw new Error(full.output);
    // Change about a tenth of the accounts, then the differential.
    await inPostgres("pgbench -n -T 20 -c 2 -b simple-update -h /var/run/postgresql -U postgres app");
    const [diff, diffMs] = await timed(() => run.runner.runJob("postgres-backup-diff"));
    if (!diff.ok) throw new Error(diff.output);
    const [, dumpMs] = await timed(() => inPostgres("set -o pipefail; pg_dump -Fc -h /var/run/postgresql -U postgres app | gzip > /var/lib/postgresql/data/app.dump.gz"));
    const dumpBytes = Number((await inPostgres("du -b /var/lib/postgresql/data/app.dump.gz")).split("\t")[0]);
    const info = JSON.parse(await inPostgres("pgbackrest --config=/etc/drkit/pgbackrest.conf --stanza=main --output=json info")) as { backup: { type: string; info: { repository: { delta: number } } }[] }[];
    const backups = info[0]!.backup;
    const stored = (type: string) => formatSize(Math.round(backups.find((b) => b.type === type)!.info.repository.delta / 2 ** 20) * 2 ** 20);
    console.log("");
    console.log("   method                                   time      throughput (of the data directory)   stored");
    console.log(`   pgBackRest full (zst, job pod, mTLS)     ${seconds(fullMs).padEnd(9)} ${rate(dataBytes, fullMs).padEnd(37)}${stored("full")}`);
    console.log(`   pgBackRest diff after 20 s of updates    ${seconds(diffMs).padEnd(9)} ${rate(dataBytes, diffMs).padEnd(37)}${stored("diff")}`);
    console.log(`   pg_dump -Fc | gzip                       ${seconds(dumpMs).padEnd(9)} ${rate(dataBytes, dumpMs).padEnd(37)}${formatSize(Math.max(1, Math.round(dumpBytes / 2 ** 20)) * 2 ** 20)}`);
    console.log("");
    console.log("   (job times include starting the job pod: its sandbox, volumes and container)");
  } finally {
    await cluster.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
