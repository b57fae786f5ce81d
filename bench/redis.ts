/**
 * Redis AOF figures on this machine, in one run: for appendfsync always, everysec and no, the
 * write throughput of one client (each write acknowledged before the next) to the Redis pod of
 * the plan, and the writes lost to a kill -9 of the pod in the middle of that load.
 *
 *   npx tsx bench/redis.ts [--seconds 5]
 *
 * Prints figures; passes or fails nothing.
 */
import { parseArgs } from "node:util";
import { startLocalCluster, type LocalCluster } from "../cli/containers/cluster";
import { ensureLocalImages } from "../cli/containers/images";
import { RespClient } from "../cli/containers/resp";
import { parseSpec, type DrSpec } from "../components/config";
import { PORT } from "../components/workloads/names";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" } } });
const seconds = Number(values.seconds);

function specFor(mode: "always" | "everysec" | "no"): DrSpec {
  const parsed = parseSpec(
    { role: "primary", region: "us-east-1", storage: { bucket: "bench" }, images: { registry: "local" }, redis: { appendfsync: mode, resources: { memory: "1Gi" } }, cluster: { workloadIdentity: { type: "static-keys" } } },
    { stack: `bench-${mode}` },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.spec;
}

async function measure(mode: "always" | "everysec" | "no", cluster: LocalCluster) {
  const run = await cluster.stack(specFor(mode), { own: "unused" });
  await run.runner.startServer("redis");
  const client = await RespClient.connect(PORT.redis, await run.runner.address("redis"), run.redisTls);
  await client.command("AUTH", "default", run.secretValue({ kind: "password", id: "redis" }));
  const acknowledgedAt: number[] = [0];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const value = (await client.command("INCR", "sequence")) as number;
    acknowledgedAt[value] = performance.now();
  }
  const elapsed = (performance.now() - start) / 1000;
  const last = acknowledgedAt.length - 1;
  await run.runner.stopServer("redis", { kill: true });
  client.close();
  await run.runner.startServer("redis");
  const restored = Number((await run.redisCli(["GET", "sequence"])) || "0");
  await run.runner.stopServer("redis", { kill: true });
  const lostWrites = last - restored;
  const lostMs = lostWrites > 0 ? acknowledgedAt[last]! - acknowledgedAt[restored]! : 0;
  return { mode, rate: last / elapsed, lostWrites, lostMs };
}

async function main() {
  const spec = specFor("everysec");
  const images = await ensureLocalImages(spec.images, spec.postgres.version);
  const cluster = await startLocalCluster({ prefix: "drkit-bench-redis", images, helperImage: spec.images.base, buckets: ["bench"] });
  try {
    console.log(`drkit Redis AOF benchmark: one client, ${seconds} s of INCR per mode to the Redis pod, then kill -9 of the pod and a new one on the same volume`);
    console.log("");
    console.log("   appendfsync   writes/s   writes lost to kill -9   span lost");
    for (const mode of ["always", "everysec", "no"] as const) {
      const r = await measure(mode, cluster);
      console.log(`   ${r.mode.padEnd(12)}  ${r.rate.toFixed(0).padStart(8)}   ${String(r.lostWrites).padStart(22)}   ${(r.lostMs / 1000).toFixed(3)} s`);
    }
    console.log("");
    console.log("   kill -9 ends the processes, not the machine: whatever Redis wrote reached the page cache and");
    console.log("   survives, whatever the fsync policy. The policy decides what a power loss or kernel crash costs");
    console.log("   (everysec: about a second), which this machine cannot stage.");
  } finally {
    await cluster.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
