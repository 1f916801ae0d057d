// Fleet power over the last hours, by the readings' own times (so a replay of the past fills it
// as it is sent). Each minute's fleet power is the mean reading of that minute times the number of
// turbines that reported in it: right when turbines report at different rates, and when a minute
// is still filling.
import type { Reading } from "../store/port.ts";

interface Bucket {
  powerSum: number;
  readings: number;
  turbines: Set<string>;
}

export class FleetPowerHistory {
  private readonly buckets = new Map<number, Bucket>();
  readonly bucketMs = 60_000;

  constructor(private readonly spanMs: number) {}

  add(reading: Reading, now: number): void {
    if (reading.time < now - this.spanMs || reading.time > now + this.bucketMs * 15) return;
    const start = Math.floor(reading.time / this.bucketMs) * this.bucketMs;
    let bucket = this.buckets.get(start);
    if (!bucket) {
      bucket = { powerSum: 0, readings: 0, turbines: new Set() };
      this.buckets.set(start, bucket);
    }
    bucket.powerSum += reading.power_kw;
    bucket.readings++;
    bucket.turbines.add(reading.turbine_id);
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
      const power = (bucket.powerSum / bucket.readings) * bucket.turbines.size;
      points.push({
        time: new Date(start).toISOString(),
        power_kw: Math.round(power * 10) / 10,
        turbines: bucket.turbines.size,
      });
    }
    return points;
  }
}
