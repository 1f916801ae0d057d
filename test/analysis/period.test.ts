// The period `npm run analyze` reads by default: the data's span exactly (a reading stands for
// its interval, so the data ends one interval after the last reading), at most a day; and the
// period as asked when asked.
import { describe, expect, it } from "vitest";
import { analysisPeriod, DAY_MS, dominantIntervalMs } from "../../notebooks/lib/period.ts";

const T0 = Date.UTC(2026, 2, 1, 12, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe("analysisPeriod", () => {
  it("six hours of 1-minute readings are six hours, not 5.98", () => {
    const data = { firstMs: T0, lastMs: T0 + 6 * HOUR - MIN, intervalsMs: [MIN, MIN, MIN] };
    const period = analysisPeriod(data, {});
    expect(period).toEqual({ from: T0, to: T0 + 6 * HOUR });
    expect((period.to - period.from) / HOUR).toBe(6);
  });

  it("ends a 10-minute interval after the last 10-minute reading, a day at most", () => {
    const data = {
      firstMs: T0 - 3 * DAY_MS,
      lastMs: T0 - 10 * MIN,
      intervalsMs: [10 * MIN, 10 * MIN, null],
    };
    expect(analysisPeriod(data, {})).toEqual({ from: T0 - DAY_MS, to: T0 });
  });

  it("takes the interval most turbines report at: a burst of 1-minute readings does not move it", () => {
    expect(dominantIntervalMs([10 * MIN, 10 * MIN, MIN, 10 * MIN, null])).toBe(10 * MIN);
    expect(dominantIntervalMs([MIN, 10 * MIN])).toBe(5.5 * MIN);
    // Only lone readings: each stands for SCADA's 10 minutes, as in the analyses.
    expect(dominantIntervalMs([null, null])).toBe(10 * MIN);
    expect(dominantIntervalMs([])).toBe(10 * MIN);
  });

  it("keeps what was asked: both ends, or one end and the data's other", () => {
    const data = { firstMs: T0, lastMs: T0 + 2 * HOUR - MIN, intervalsMs: [MIN] };
    expect(analysisPeriod(data, { from: T0 - HOUR, to: T0 + HOUR })).toEqual({
      from: T0 - HOUR,
      to: T0 + HOUR,
    });
    expect(analysisPeriod(data, { from: T0 + HOUR })).toEqual({
      from: T0 + HOUR,
      to: T0 + 2 * HOUR,
    });
    // --to alone: the day before it, or from the first reading if that is later.
    expect(analysisPeriod(data, { to: T0 + HOUR })).toEqual({ from: T0, to: T0 + HOUR });
  });
});
