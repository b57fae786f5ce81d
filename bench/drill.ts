/**
 * The drill at several sizes, in one run: the stack's pods and jobs in containers, PostgreSQL
 * and Redis RTO and RPO at each size, with `cp -a` of the same data directory on the engine's
 * disk as the physical reference measured in the same run. Uses the short-interval drill stack
 * of the tests so each run takes about a minute plus its data.
 *
 *   npx tsx bench/drill.ts [--sizes 256MiB,1GiB] [--file test/fixtures/Pulumi.drill-fast.yaml]
 *
 * Prints figures; passes or fails nothing.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureLocalImages } from "../cli/containers/images";
import { runDrill } from "../cli/drill/drill";
import { loadStack } from "../cli/stackSpec";
import { parseSize } from "../components/config";

const { values } = parseArgs({
  options: { sizes: { type: "string", default: "256MiB,1GiB" }, file: { type: "string", default: join(__dirname, "..", "test", "fixtures", "Pulumi.drill-fast.yaml") } },
});

async function main() {
  const loaded = loadStack({ stack: "bench", file: values.file! });
  if ("missing" in loaded || "invalid" in loaded || !loaded.result.ok) throw new Error(`cannot load ${values.file}`);
  const spec = loaded.result.spec;
  const images = await ensureLocalImages(spec.images, spec.postgres.version);
  console.log(`drkit drill benchmark (stack file ${values.file}; targets: PostgreSQL RPO ${spec.objectives.postgres.rpo}s RTO ${spec.objectives.postgres.rto}s, Redis RPO ${spec.objectives.redis.rpo}s RTO ${spec.objectives.redis.rto}s)`);
  console.log("");
  console.log("   size     data dir   cp -a (MiB/s)       PostgreSQL RTO   PostgreSQL RPO   Redis RTO   Redis RPO");
  for (const [i, text] of values.sizes!.split(",").entries()) {
    const size = parseSize(text.trim());
    if (!size.ok) throw new Error(`--sizes: ${size.message}`);
    const report = await runDrill({ spec, images, sizeBytes: size.value, seed: i + 1, log: () => undefined });
    const pg = report.stores.find((s) => s.store === "postgres")!;
    const redis = report.stores.find((s) => s.store === "redis");
    const mib = report.reference.dataBytes / 2 ** 20;
    console.log(
      `   ${text.trim().padEnd(8)} ${`${mib.toFixed(0)} MiB`.padEnd(10)} ${`${report.reference.copySeconds.toFixed(1)} s (${(mib / report.reference.copySeconds).toFixed(0)})`.padEnd(19)} ${`${pg.rto.measured.toFixed(1)} s`.padEnd(16)} ${`${pg.rpo?.measured.toFixed(1) ?? "-"} s`.padEnd(16)} ${`${redis?.rto.measured.toFixed(1) ?? "-"} s`.padEnd(11)} ${redis?.rpo?.measured.toFixed(1) ?? "-"} s`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
