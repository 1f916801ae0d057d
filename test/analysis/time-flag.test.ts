// Times on the analysis command line: UTC or explicit, never the machine's local time.
import { describe, expect, it } from "vitest";
import { parseTimeFlag } from "../../notebooks/lib/time-flag.ts";

const NOW = Date.parse("2026-11-23T12:00:00Z");
const parse = (value: string) => parseTimeFlag(value, "--from", NOW);

describe("parseTimeFlag", () => {
  it("reads RFC 3339 with a zone, bare dates as UTC, epoch ms, and now-relative times", () => {
    expect(parse("2026-11-23T11:00:00+01:00")).toBe(Date.parse("2026-11-23T10:00:00Z"));
    expect(parse("2026-11-23T10:00Z")).toBe(Date.parse("2026-11-23T10:00:00Z"));
    expect(parse("2026-11-23")).toBe(Date.parse("2026-11-23T00:00:00Z"));
    expect(parse("1795000000000")).toBe(1_795_000_000_000);
    expect(parse("now")).toBe(NOW);
    expect(parse("now-6h")).toBe(NOW - 6 * 3_600_000);
    expect(parse("now-1.5d")).toBe(NOW - 36 * 3_600_000);
    expect(parse("now-30m")).toBe(NOW - 30 * 60_000);
  });

  it("refuses a date-time without a zone, and anything else, naming the flag and the forms", () => {
    for (const bad of ["2026-11-23T10:00", "2026-11-23 10:00:00", "yesterday", "now+1h", ""]) {
      expect(() => parse(bad), bad).toThrow(/^--from ".*" is not a time: use RFC 3339 with a zone/);
    }
  });
});
