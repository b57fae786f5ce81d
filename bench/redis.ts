/**
 * Redis AOF figures on this machine, in one run: for appendfsync always, everysec and no, the
 * write throughput of one client (each write acknowledged before the next) and the writes lost
 * to kill -9 in the middle of that load, with the rendered redis.conf.
 *
 *   npx tsx bench/redis.ts [--seconds 5]
 *
 * Prints figures; passes or fails nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stopAll } from "../cli/local/processes";
import { LocalRedis } from "../cli/local/redis";
import { startLocalS3 } from "../cli/local/s3";
import { parseSpec } from "../components/spec";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" } } });
const seconds = Number(values.seconds);

async function measure(mode: "always" | "everysec" | "no", s3: Awaited<ReturnType<typeof startLocalS3>>, root: string) {
  const parsed = parseSpec(
    { role: "primary", region: "us-east-1", storage: { bucket: "bench" }, postgres: { image: "local" }, redis: { appendfsync: mode, resources: { memory: "1Gi" } } },
    { stack: `bench-${mode}` },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const redis = await LocalRedis.create({ spec: parsed.spec, root: mkdtempSync(join(root, `${mode}-`)), s3 });
  await redis.start();
  const client = await redis.client();
  const acknowledgedAt: number[] = [0];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const value = (await client.command("INCR", "sequence")) as number;
    acknowledgedAt[value] = performance.now();
  }
  const elapsed = (performance.now() - start) / 1000;
  const last = acknowledgedAt.length - 1;
  await redis.kill();
  client.close();
  await redis.start();
  const restored = Number((await redis.cli(["get", "sequence"])).stdout.trim() || "0");
  await redis.kill();
  const lostWrites = last - restored;
  const lostMs = lostWrites > 0 ? acknowledgedAt[last]! - acknowledgedAt[restored]! : 0;
  return { mode, rate: last / elapsed, lostWrites, lostMs };
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), "drkit-bench-redis-"));
  const s3 = await startLocalS3(join(root, "s3"), ["bench"]);
  try {
    console.log(`drkit Redis AOF benchmark: one client, ${seconds} s of INCR per mode, then kill -9 and a restart`);
    console.log("");
    console.log("   appendfsync   writes/s   writes lost to kill -9   span lost");
    for (const mode of ["always", "everysec", "no"] as const) {
      const r = await measure(mode, s3, root);
      console.log(`   ${r.mode.padEnd(12)}  ${r.rate.toFixed(0).padStart(8)}   ${String(r.lostWrites).padStart(22)}   ${(r.lostMs / 1000).toFixed(3)} s`);
    }
    console.log("");
    console.log("   kill -9 ends the process, not the machine: whatever Redis wrote reached the page cache and");
    console.log("   survives, whatever the fsync policy. The policy decides what a power loss or kernel crash costs");
    console.log("   (everysec: about a second), which this machine cannot stage.");
  } finally {
    await stopAll();
    await s3.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
