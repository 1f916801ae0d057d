// Fleet power over the last hours, by the readings' own times (so a replay of the past fills it
// as it is sent). Each minute's fleet power is the mean reading of that minute times the number of
// turbines that reported in it: right when turbines report at different rates, and when a minute
// is still filling.
import type { FleetMinute } from "../queries/fleet-minutes.ts";
import type { Reading } from "../store/port.ts";

interface Bucket {
  powerSum: number;
  readings: number;
  turbines: Set<string>;
  /** Turbines a seeded minute counted in the store (their ids are not kept). */
  seededTurbines: number;
}

export class FleetPowerHistory {
  private readonly buckets = new Map<number, Bucket>();
  readonly bucketMs = 60_000;

  constructor(readonly spanMs: number) {}

  add(reading: Reading, now: number): void {
    if (reading.time < now - this.spanMs || reading.time > now + this.bucketMs * 15) return;
    const start = Math.floor(reading.time / this.bucketMs) * this.bucketMs;
    let bucket = this.buckets.get(start);
    if (!bucket) {
      bucket = { powerSum: 0, readings: 0, turbines: new Set(), seededTurbines: 0 };
      this.buckets.set(start, bucket);
    }
    bucket.powerSum += reading.power_kw;
    bucket.readings++;
    bucket.turbines.add(reading.turbine_id);
  }

  /**
   * Minutes summed from the store before any reading arrived (a restart): the history starts
   * with what the store holds. Readings of a seeded minute that arrive later add to it.
   */
  seed(minutes: readonly FleetMinute[], now: number): void {
    for (const minute of minutes) {
      if (minute.start + this.bucketMs <= now - this.spanMs || minute.readings === 0) continue;
      this.buckets.set(minute.start, {
        powerSum: minute.powerSum,
        readings: minute.readings,
        turbines: new Set(),
        seededTurbines: minute.turbines,
      });
    }
  }

  /** Oldest first: { time (the minute's start, RFC 3339), power_kw, turbines }. */
  points(now: number): { time: string; power_kw: number; turbines: number }[] {
    const oldest = now - this.spanMs;
    const starts = [...this.buckets.keys()].sort((a, b) => a - b);
    const points: { time: string; power_kw: number; turbines: number }[] = [];
    for (const start of starts) {
      const bucket = this.buckets.get(start) as Bucket;
      if (start + this.bucketMs <= oldest) {
        this.buckets.delete(start);
        continue;
      }
      // A seeded minute's later readings come mostly from turbines it counted already.
      const turbines = Math.max(bucket.turbines.size, bucket.seededTurbines);
      const power = (bucket.powerSum / bucket.readings) * turbines;
      points.push({
        time: new Date(start).toISOString(),
        power_kw: Math.round(power * 10) / 10,
        turbines,
      });
    }
    return points;
  }
}
