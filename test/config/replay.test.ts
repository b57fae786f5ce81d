import { describe, expect, it } from "vitest";
import { longestCombinedGap, parseDuration, parseSpec } from "../../components/config";
import { merge, minimalPrimary } from "./fixtures";
import { replayBudget, REPLAY_SPEEDUP } from "../../components/config/replay";

describe("the replay window", () => {
  it("is bounded by the longest gap between backups of any kind", () => {
    expect(longestCombinedGap(["0 1 * * 0", "0 1 * * 1-6"])).toBe(86_400);
    expect(longestCombinedGap(["0 1 * * 0", "0 1 * * 1-6", "30 */6 * * *"])).toBe(6 * 3600);
    expect(longestCombinedGap(["0 1 * * 0"])).toBe(7 * 86_400);
  });

  it("has a budget of half the RTO at the planning speed-up", () => {
    expect(REPLAY_SPEEDUP).toBe(48);
    expect(replayBudget(900)).toBe(6 * 3600);
  });
});

describe("the combined gap of frequent schedules", () => {
  it("sees an hourly or ten-minute incremental over the whole horizon", () => {
    // Stepping a cron iterator gave up after 5000 runs: an hourly incremental looked like none.
    expect(longestCombinedGap(["0 1 * * 0", "0 1 * * 1-6", "15 * * * *"])).toBe(3600);
    expect(longestCombinedGap(["0 1 * * 0", "0 1 * * 1-6", "*/10 * * * *"], "Europe/Berlin")).toBe(600);
  });
});

describe("the derived incremental schedule", () => {
  it.each(["10s", "30s", "1m", "2m", "5m", "15m", "1h", "4h", "1d"])("passes drkit's own replay rule at an RTO of %s", (rto) => {
    const result = parseSpec(merge(minimalPrimary(), { timeZone: "America/New_York", objectives: { postgres: { rto } } }));
    const problems = result.ok ? result.warnings : result.problems;
    expect(problems.filter((p) => p.path === "drkit:postgres.backups")).toEqual([]);
    const incr = result.ok ? result.spec.postgres.backups.incr : undefined;
    if (incr) expect(longestCombinedGap(["0 1 * * 0", "0 1 * * 1-6", incr], "America/New_York")).toBeLessThanOrEqual(replayBudget(parseDurationOrThrow(rto)));
  });
});

function parseDurationOrThrow(text: string): number {
  const result = parseDuration(text);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}
