// Time words: one reader for the CLIs and the HTTP API's query strings, UTC or explicit, never
// the machine's local time, and `now` from the caller's clock.
import { describe, expect, it } from "vitest";
import { parseTimeFlag, readTimeWord, resolveTimeWord } from "../../api/time/time-words.ts";

const NOW = Date.parse("2026-11-23T12:00:00Z");
const parse = (value: string) => parseTimeFlag(value, "--from", NOW);

describe("time words", () => {
  it("reads RFC 3339 with a zone, bare dates as UTC, epoch ms, and now-relative times", () => {
    expect(parse("2026-11-23T11:00:00+01:00")).toBe(Date.parse("2026-11-23T10:00:00Z"));
    expect(parse("2026-11-23T10:00Z")).toBe(Date.parse("2026-11-23T10:00:00Z"));
    expect(parse("2026-11-23")).toBe(Date.parse("2026-11-23T00:00:00Z"));
    expect(parse("1795000000000")).toBe(1_795_000_000_000);
    expect(parse("now")).toBe(NOW);
    expect(parse("now-6h")).toBe(NOW - 6 * 3_600_000);
    expect(parse("now-1.5d")).toBe(NOW - 36 * 3_600_000);
    expect(parse("now-30m")).toBe(NOW - 30 * 60_000);
    expect(parse("now-90s")).toBe(NOW - 90_000);
    expect(parse("now+15m")).toBe(NOW + 15 * 60_000);
  });

  it("reads a bare duration as that long before now", () => {
    expect(parse("10m")).toBe(NOW - 10 * 60_000);
    expect(parse("6h")).toBe(NOW - 6 * 3_600_000);
    expect(parse("2d")).toBe(NOW - 2 * 86_400_000);
  });

  it("resolves a relative word at the clock it is given, an absolute one at none", () => {
    const word = readTimeWord("now-1h");
    expect(resolveTimeWord(word, NOW)).toBe(NOW - 3_600_000);
    expect(resolveTimeWord(word, NOW + 60_000)).toBe(NOW - 3_540_000);
    expect(resolveTimeWord(readTimeWord("2026-11-23T10:00:00Z"), 0)).toBe(
      Date.parse("2026-11-23T10:00:00Z"),
    );
  });

  it("refuses a date-time without a zone, and anything else, naming the flag and the forms", () => {
    for (const bad of ["2026-11-23T10:00", "2026-11-23 10:00:00", "yesterday", "now+", "6x", ""]) {
      expect(() => parse(bad), bad).toThrow(/^--from ".*" is not a time: use RFC 3339 with a zone/);
    }
  });

  it("refuses times out of range and offsets beyond 50 years", () => {
    expect(() => parse("999999999999999")).toThrow(/is out of range/);
    expect(() => parse("now-20000d")).toThrow(/at most 50 years/);
    expect(() => parse("now+20000d")).toThrow(/at most 50 years/);
  });
});
