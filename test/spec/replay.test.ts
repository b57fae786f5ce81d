import { describe, expect, it } from "vitest";
import { longestCombinedGap } from "../../components/spec";
import { replayBudget, REPLAY_SPEEDUP } from "../../components/spec/replay";

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
