// A turbine's own reporting interval, and when its quiet becomes silence: the live view (a turbine
// leaves "power now") and the silent rule of the alarms (api/alarms/rules.ts) judge alike, locally
// on the hub's memory and on Lambda on the readings the scheduled evaluation reads back.
import type { Reading } from "../store/port.ts";

/**
 * A turbine's own reporting interval after one more gap between its reading times: a moving
 * average, so one late reading does not halve or double it.
 */
export function nextIntervalMs(intervalMs: number | null, gapMs: number): number | null {
  if (gapMs <= 0) return intervalMs;
  return intervalMs ? intervalMs * 0.8 + gapMs * 0.2 : gapMs;
}

/**
 * Has the turbine been quiet for more than `intervals` of its own reporting intervals
 * (`defaultIntervalMs` until it has sent two readings)? Both clocks count: a replay sends old
 * reading times that just arrived, which is not silence.
 */
export function isSilent(
  turbine: { reading: Pick<Reading, "time">; intervalMs: number | null; arrivedAt: number },
  now: number,
  intervals: number,
  defaultIntervalMs = 60_000,
): boolean {
  const limit = intervals * (turbine.intervalMs ?? defaultIntervalMs);
  return now - turbine.reading.time > limit && now - turbine.arrivedAt > limit;
}
