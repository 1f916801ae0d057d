// Each model's reference power curve, per kW of rated power: the fleet curve of that model over
// the period, every producing reading's power divided by its row's rated power, averaged per
// 0.5 m/s bin of normalised wind (weighted by the time each reading stands for). A row's expected
// power is that per-unit value times its own rating, so a 3 MW turbine and a farm of 66 of them
// compare fairly. A bin without producing readings takes the straight line between its
// neighbours, below the lowest bin nothing, above the highest the highest bin's value (the rated
// plateau). Rows without a rating never enter a reference and get no expectation.
import { type ScadaScan, type TurbineFacts, unitRatedKw, type WindBin } from "./scan.ts";

export class ReferenceCurves {
  private readonly byModel = new Map<string, Map<number, number>>();
  private readonly ranges = new Map<string, { low: number; high: number; bins: number[] }>();
  private readonly unitRating = new Map<string, number>();

  constructor(scan: ScadaScan) {
    const sums = new Map<string, Map<number, { hours: number; perUnitKwh: number }>>();
    const ratings = new Map<string, Map<number, number>>();
    for (const turbine of scan.turbines.values()) {
      const model = turbine.facts?.model;
      const rated = ratedKw(turbine.facts);
      if (!model || rated === null) continue;
      const unit = unitRatedKw(turbine.facts) as number;
      let counts = ratings.get(model);
      if (!counts) {
        counts = new Map();
        ratings.set(model, counts);
      }
      counts.set(unit, (counts.get(unit) ?? 0) + 1);
      let bins = sums.get(model);
      if (!bins) {
        bins = new Map();
        sums.set(model, bins);
      }
      for (const b of turbine.byStatus.get("producing") ?? []) {
        const sum = bins.get(b.bin) ?? { hours: 0, perUnitKwh: 0 };
        sum.hours += b.hours;
        sum.perUnitKwh += b.energyNKwh / rated;
        bins.set(b.bin, sum);
      }
    }
    for (const [model, counts] of ratings) {
      // The rating most of the model's rows have per turbine (a model has one, in practice).
      const [rating] = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] as [
        number,
        number,
      ];
      this.unitRating.set(model, rating);
    }
    for (const [model, bins] of sums) {
      const curve = new Map(
        [...bins].filter(([, s]) => s.hours > 0).map(([bin, s]) => [bin, s.perUnitKwh / s.hours]),
      );
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

  /** The rating of one turbine of `model` (kW), for showing a per-unit curve in kW. */
  modelUnitRatedKw(model: string): number | null {
    return this.unitRating.get(model) ?? null;
  }

  /** Expected power per kW rated of a turbine of `model` in wind bin `bin`. */
  perUnit(model: string, bin: number): number {
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

  /** Expected power (kW) of the row `facts` describes in wind bin `bin`; 0 without a rating. */
  expectedKw(facts: TurbineFacts | null, bin: number): number {
    const rated = ratedKw(facts);
    if (!facts?.model || rated === null) return 0;
    return this.perUnit(facts.model, bin) * rated;
  }

  /** Expected energy (kWh) of the row over `bins`: each bin's time times its expected power. */
  expectedKwh(facts: TurbineFacts | null, bins: readonly WindBin[]): number {
    let sum = 0;
    for (const b of bins) sum += b.hours * this.expectedKw(facts, b.bin);
    return sum;
  }
}

function ratedKw(facts: TurbineFacts | null | undefined): number | null {
  const rated = facts?.rated_kw;
  return rated !== undefined && Number.isFinite(rated) && rated > 0 ? rated : null;
}
