// Counting what became of every reading, and request latencies, while a simulation runs.

/** A bounded sample of latencies: exact up to the bound, a uniform reservoir beyond. */
export class LatencySample {
  private readonly values: number[] = [];
  private seen = 0;
  constructor(private readonly bound = 100_000) {}

  add(ms: number): void {
    this.seen++;
    if (this.values.length < this.bound) this.values.push(ms);
    else {
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < this.bound) this.values[slot] = ms;
    }
  }

  quantile(q: number): number {
    if (this.values.length === 0) return 0;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  }
}

export interface SimulationStats {
  /** Readings the run will send in all (replay), or null when open-ended (realtime). */
  planned: number | null;
  sent: number;
  /** Stored by this run or already stored identically: accepted + duplicates. */
  acknowledged: number;
  duplicates: number;
  rejected: number;
  failed: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  etaSeconds: number | null;
}

/**
 * Seconds until every planned reading is answered, at the rate so far: null when the run is
 * open-ended, or before the first answer, when there is no rate to estimate from.
 */
export function etaSeconds(
  planned: number | null,
  answered: number,
  missingWeather: number,
  seconds: number,
): number | null {
  if (planned === null || answered === 0) return null;
  return ((planned - answered - missingWeather) * seconds) / answered;
}
