// Each model's reference power curve: the fleet curve of that model over the period (the mean
// power of all its turbines' producing readings, per 0.5 m/s bin of normalised wind). A bin
// without producing readings takes the straight line between its neighbours, below the lowest
// bin nothing, above the highest the highest bin's power (the rated plateau).
import type { ScadaScan, WindBin } from "./scan.ts";

export class ReferenceCurves {
  private readonly byModel = new Map<string, Map<number, number>>();
  private readonly ranges = new Map<string, { low: number; high: number; bins: number[] }>();

  constructor(scan: ScadaScan) {
    const sums = new Map<string, Map<number, { n: number; power: number }>>();
    for (const turbine of scan.turbines.values()) {
      const model = turbine.facts?.model;
      if (!model) continue;
      let bins = sums.get(model);
      if (!bins) {
        bins = new Map();
        sums.set(model, bins);
      }
      for (const b of turbine.byStatus.get("producing") ?? []) {
        const sum = bins.get(b.bin) ?? { n: 0, power: 0 };
        sum.n += b.n;
        sum.power += b.powerSum;
        bins.set(b.bin, sum);
      }
    }
    for (const [model, bins] of sums) {
      const curve = new Map([...bins].map(([bin, s]) => [bin, s.power / s.n]));
      const sorted = [...curve.keys()].sort((a, b) => a - b);
      if (sorted.length === 0) continue;
      this.byModel.set(model, curve);
      this.ranges.set(model, {
        low: sorted[0] as number,
        high: sorted[sorted.length - 1] as number,
        bins: sorted,
      });
    }
  }

  has(model: string | null | undefined): boolean {
    return !!model && this.byModel.has(model);
  }

  /** The model's reference bins: bin -> mean power (kW), bins with producing readings only. */
  bins(model: string): ReadonlyMap<number, number> {
    return this.byModel.get(model) ?? new Map();
  }

  /** Expected power (kW) of a turbine of `model` in wind bin `bin`. */
  expectedKw(model: string, bin: number): number {
    const curve = this.byModel.get(model);
    const range = this.ranges.get(model);
    if (!curve || !range) return 0;
    const known = curve.get(bin);
    if (known !== undefined) return known;
    if (bin < range.low) return 0;
    if (bin > range.high) return curve.get(range.high) ?? 0;
    // Between two known bins: the straight line.
    let below = range.low;
    let above = range.high;
    for (const b of range.bins) {
      if (b < bin) below = b;
      else if (b > bin) {
        above = b;
        break;
      }
    }
    const a = curve.get(below) ?? 0;
    const c = curve.get(above) ?? 0;
    return a + ((c - a) * (bin - below)) / (above - below);
  }

  /** Expected energy (kWh-scaled sum of kW per reading) of a list of bins: sum of n * expected. */
  expectedSum(model: string, bins: readonly WindBin[]): number {
    let sum = 0;
    for (const b of bins) sum += b.n * this.expectedKw(model, b.bin);
    return sum;
  }
}
