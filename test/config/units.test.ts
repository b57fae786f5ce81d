import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatCpu,
  formatDuration,
  formatPercent,
  formatSize,
  parseCpu,
  parseDuration,
  parsePercent,
  parseSize,
  type UnitResult,
} from "../../components/config";

const value = <T>(result: UnitResult<T>) => (result.ok ? result.value : `error: ${result.message}`);

describe("parseDuration", () => {
  it.each([
    ["90s", 90],
    ["5m", 300],
    ["1h", 3600],
    ["1h30m", 5400],
    ["7d", 604_800],
    ["2w", 1_209_600],
    ["1d12h", 129_600],
    [" 15m ", 900],
    ["250ms", 0.25],
    ["1s500ms", 1.5],
  ])("reads %j as %d seconds", (input, seconds) => {
    expect(value(parseDuration(input))).toBe(seconds);
  });

  it.each([
    [300, /bare number/],
    ["300", /not a duration/],
    ["5 minutes", /not a duration/],
    ["5M", /not a duration/],
    ["-5m", /not a duration/],
    ["0s", /longer than zero/],
    ["1h1h", /repeats the unit 'h'/],
    ["", /not a duration/],
    [null, /got null/],
    [{ minutes: 5 }, /got an object/],
    ["99999999w", /too long/],
  ])("refuses %j", (input, message) => {
    const result = parseDuration(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(message);
      expect(result.hint).toContain("'5m'");
    }
  });

  it("formats in the largest exact units, in days rather than weeks", () => {
    expect(formatDuration(5400)).toBe("1h30m");
    expect(formatDuration(604_800)).toBe("7d");
    expect(formatDuration(90)).toBe("1m30s");
    expect(formatDuration(0.25)).toBe("250ms");
    expect(formatDuration(0)).toBe("0s");
  });

  it("round-trips every whole-second duration through format and parse", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 365 * 86_400 }), (seconds) => {
        expect(value(parseDuration(formatDuration(seconds)))).toBe(seconds);
      }),
    );
  });
});

describe("parseSize", () => {
  it.each([
    ["50Gi", 50 * 2 ** 30],
    ["512Mi", 512 * 2 ** 20],
    ["1Ti", 2 ** 40],
    ["64Ki", 65_536],
    ["1G", 1e9],
    ["500M", 5e8],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["100k", 100_000],
    ["1GiB", 2 ** 30],
    ["256MiB", 256 * 2 ** 20],
  ])("reads %j as %d bytes", (input, bytes) => {
    expect(value(parseSize(input))).toBe(bytes);
  });

  it.each([
    [1024, /bare number/],
    ["50GB", /unknown unit 'GB'/, "did you mean '50Gi'?"],
    ["50gb", /unknown unit 'gb'/, "did you mean '50Gi'?"],
    ["20 Gi", /not a size/],
    ["Gi", /not a size/],
    ["0Gi", /larger than zero/],
    [true, /got boolean true/],
  ])("refuses %j", (input, message, hint?: string) => {
    const result = parseSize(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(message);
      if (hint) expect(result.hint).toContain(hint);
    }
  });

  it("formats exact binary units and round-trips whole KiB", () => {
    expect(formatSize(50 * 2 ** 30)).toBe("50Gi");
    expect(formatSize(1536 * 2 ** 20)).toBe("1536Mi");
    // Plain bytes are a valid Kubernetes quantity, though config refuses them as ambiguous.
    expect(formatSize(1000)).toBe("1000");
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 35 }), (kibibytes) => {
        const bytes = kibibytes * 1024;
        expect(value(parseSize(formatSize(bytes)))).toBe(bytes);
      }),
    );
  });
});

describe("parseCpu", () => {
  it.each([
    ["500m", 500],
    ["1", 1000],
    ["0.5", 500],
    ["0.3", 300],
    [2, 2000],
    [0.25, 250],
  ])("reads %j as %d millicores", (input, millicores) => {
    expect(value(parseCpu(input))).toBe(millicores);
  });

  it.each([
    ["0.0001", /finer than a millicore/],
    ["0m", /at least 1m/],
    [0, /more than zero/],
    ["two", /not a CPU quantity/],
    ["1.5m", /not a CPU quantity/],
  ])("refuses %j", (input, message) => {
    const result = parseCpu(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it("formats cores and millicores", () => {
    expect(formatCpu(2000)).toBe("2");
    expect(formatCpu(250)).toBe("250m");
  });
});

describe("parsePercent", () => {
  it.each([
    ["10%", 0.1],
    ["0.5%", 0.005],
    ["100%", 1],
    [" 95 %", 0.95],
  ])("reads %j as %d", (input, fraction) => {
    expect(value(parsePercent(input))).toBeCloseTo(fraction, 12);
  });

  it.each([
    [10, /bare number/],
    ["10", /not a percentage/],
    ["0%", /above 0%/],
    ["150%", /at most 100%/],
    ["ten%", /not a percentage/],
  ])("refuses %j", (input, message) => {
    const result = parsePercent(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it("formats without float noise", () => {
    expect(formatPercent(0.1)).toBe("10%");
    expect(formatPercent(0.005)).toBe("0.5%");
  });
});
