import { CronExpressionParser } from "cron-parser";
import { describe, expect, it, vi } from "vitest";
import { dockerOk } from "../../cli/containers/docker";
import { ensureLocalImages } from "../../cli/containers/images";
import { stackSpec } from "./harness";

vi.setConfig({ testTimeout: 600_000 });

/**
 * drkit-scheduler (images/jobs/drkit-scheduler, in the jobs image) fires a job at the times the
 * review counts with (cron-parser): schedules with ranges, steps, names, macros, both day fields,
 * and time zones across both daylight-saving changes.
 */
const CASES: [string, string][] = [
  ["30 */6 * * *", "UTC"],
  ["0 1 * * 1-6", "Europe/Moscow"],
  ["*/10 * * * *", "UTC"],
  ["0 2 * * SUN", "America/New_York"],
  ["15 3 1,15 * MON-FRI", "UTC"],
  ["@weekly", "Europe/Berlin"],
  ["30 2 * * *", "Europe/Berlin"],
  ["30 2 * * *", "America/New_York"],
  ["0 * * * *", "Europe/Berlin"],
  ["0 0 29 2 *", "UTC"],
  ["5-50/15 9-17 * JAN-MAR,OCT *", "Asia/Kolkata"],
  ["0 12 * * 7", "UTC"],
];

describe("drkit-scheduler's fire times", () => {
  // Around the spring (March) and autumn (October/November) changes of Europe and North America.
  it.each(["2024-03-01T00:00:00Z", "2024-10-20T00:00:00Z"])("agree with the review's cron parser from %s", async (from) => {
    const spec = stackSpec("prod");
    const images = await ensureLocalImages(spec.images, spec.postgres.version);
    const start = Date.parse(from) / 1000;
    const script = CASES.map(([schedule, zone]) => `drkit-scheduler --fire-times '${schedule}' '${zone}' ${start} 40; echo ---`).join("; ");
    const output = (await dockerOk(["run", "--rm", "--network", "none", "--entrypoint", "sh", images.jobs, "-ec", script])).stdout.split("---\n");
    CASES.forEach(([schedule, zone], i) => {
      const expected = CronExpressionParser.parse(schedule, { currentDate: new Date(start * 1000), tz: zone });
      const times = Array.from({ length: 40 }, () => Math.floor(expected.next().toDate().getTime() / 1000));
      expect(output[i]!.trim().split("\n").map(Number), `${schedule} ${zone}`).toEqual(times);
    });
  });
});
