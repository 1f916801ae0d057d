// Long-term corrected annual energy production (AEP) with Monte Carlo uncertainty, after
// OpenOA's MonteCarloAEP: the operational months' mean power regressed on a long-term wind
// reference's monthly mean wind, the long-term monthly means put through the regression, and
// the inputs sampled again and again to give the spread of the answer.
//
// Per iteration (OpenOA's sources of uncertainty, simplified to what gust measures):
//   meter        each month's energy times 1 + N(0, METER_UNCERTAINTY) (a revenue meter's 0.5%)
//   regression   the months drawn with replacement (a bootstrap), the line fitted again:
//                mean power (MW) = a + b x monthly mean reference wind
//   long term    the long-term period: the last 10-20 whole years of the reference (a random
//                length; all it has when shorter), its mean wind per calendar month
//   AEP = sum over the 12 calendar months of the predicted mean power x the month's mean hours.
// P50 is the median of the iterations' AEPs, P90 the value 90% of them exceed (their 10th
// percentile). Each component's share is the spread of a run with only that source sampled.
// Mean power (energy over the hours the month's data covered), not energy, is regressed, so
// that a month with gaps or fewer days does not read as a month of less wind.
// Not modelled (OpenOA has them): availability and curtailment loss corrections (give energy
// with losses added back when they matter), reanalysis product choice, outlier filtering.

export const METER_UNCERTAINTY = 0.005;
export const DEFAULT_ITERATIONS = 10_000;
/** The shortest and longest long-term period sampled, whole years. */
const LONG_TERM_YEARS = [10, 20] as const;
/** The fewest operational months a regression is fitted to. */
export const MIN_MONTHS = 6;
const HOURS_PER_YEAR = 8766;

/** One operational month: its energy and the hours its data covered. */
export interface MonthEnergy {
  /** YYYY-MM, UTC. */
  month: string;
  energyMwh: number;
  /** Hours of the month the energy stands for (the whole month when data was complete). */
  hours: number;
}

/** One reading of the long-term wind reference (hourly or finer). */
export interface ReferenceWind {
  time: number;
  windMs: number;
}

export interface AepOptions {
  iterations?: number;
  seed?: number;
}

export interface AepResult {
  p50_mwh: number;
  p90_mwh: number;
  mean_mwh: number;
  /** Standard deviation over the mean of all iterations' AEPs, percent. */
  uncertainty_pct: number;
  components_pct: { meter: number; regression: number; long_term: number };
  iterations: number;
  months: number;
  /** The fitted line on all months: mean power (MW) = intercept + slope x wind. */
  slope_mw_per_ms: number;
  intercept_mw: number;
  r2: number;
  reference_years: number;
}

export class AepInputError extends Error {}

/** A seeded uniform random number generator (mulberry32): the same seed, the same answer. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** The reference's mean wind per month (YYYY-MM), from its readings. */
export function monthlyMeanWind(reference: readonly ReferenceWind[]): Map<string, number> {
  // Keyed by year x 12 + month while summing (a string per reading is the slow part).
  const sums = new Map<number, { sum: number; n: number }>();
  const date = new Date(0);
  for (const r of reference) {
    if (!Number.isFinite(r.windMs)) continue;
    date.setTime(r.time);
    const key = date.getUTCFullYear() * 12 + date.getUTCMonth();
    const s = sums.get(key);
    if (s) {
      s.sum += r.windMs;
      s.n++;
    } else sums.set(key, { sum: r.windMs, n: 1 });
  }
  return new Map(
    [...sums].map(([key, s]) => [
      `${Math.floor(key / 12)}-${String((key % 12) + 1).padStart(2, "0")}`,
      s.sum / s.n,
    ]),
  );
}

interface Line {
  intercept: number;
  slope: number;
  r2: number;
}

function fitLine(x: ArrayLike<number>, y: ArrayLike<number>): Line | null {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += (x[i] as number) / n;
    my += (y[i] as number) / n;
  }
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : 1 };
}

/** Whole calendar years of the reference (all 12 months present), oldest first. */
function wholeYears(monthly: Map<string, number>): number[][] {
  const years = new Map<number, number[]>();
  for (const [key, wind] of monthly) {
    const year = Number(key.slice(0, 4));
    const months = years.get(year) ?? new Array<number>(12).fill(Number.NaN);
    months[Number(key.slice(5, 7)) - 1] = wind;
    years.set(year, months);
  }
  return [...years]
    .sort((a, b) => a[0] - b[0])
    .map(([, months]) => months)
    .filter((months) => months.every(Number.isFinite));
}

type Sources = { meter: boolean; regression: boolean; longTerm: boolean };

export function longTermAep(
  months: readonly MonthEnergy[],
  reference: readonly ReferenceWind[],
  options: AepOptions = {},
): AepResult {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 100 || iterations > 1_000_000) {
    throw new AepInputError("iterations: a whole number from 100 to 1,000,000");
  }
  const refMonthly = monthlyMeanWind(reference);
  const paired = months
    .filter((m) => m.hours > 0 && Number.isFinite(m.energyMwh) && refMonthly.has(m.month))
    .map((m) => ({
      power: m.energyMwh / m.hours,
      energy: m.energyMwh,
      hours: m.hours,
      wind: refMonthly.get(m.month) as number,
    }));
  if (paired.length < MIN_MONTHS) {
    throw new AepInputError(
      `the regression needs at least ${MIN_MONTHS} operational months the reference covers; it has ${paired.length}`,
    );
  }
  const years = wholeYears(refMonthly);
  if (years.length === 0) {
    throw new AepInputError("the reference holds no whole calendar year of wind");
  }
  const all = fitLine(
    paired.map((p) => p.wind),
    paired.map((p) => p.power),
  );
  if (!all) throw new AepInputError("the reference's monthly wind does not vary: no line to fit");

  // The long-term monthly means of the last `count` years, for every count (computed once).
  const longTermMeans = Array.from({ length: years.length + 1 }, (_, count) => {
    const chosen = years.slice(years.length - count);
    return Array.from(
      { length: 12 },
      (_, m) => chosen.reduce((s, y) => s + (y[m] as number), 0) / Math.max(1, chosen.length),
    );
  });
  const yearsAvailable = years.length;
  const n = paired.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const run = (sources: Sources, seed: number): number[] => {
    const random = seeded(seed);
    const out: number[] = [];
    while (out.length < iterations) {
      for (let i = 0; i < n; i++) {
        const p = paired[
          sources.regression ? Math.floor(random() * n) : i
        ] as (typeof paired)[number];
        x[i] = p.wind;
        y[i] = sources.meter ? p.power * (1 + METER_UNCERTAINTY * gaussian(random)) : p.power;
      }
      const line = sources.regression || sources.meter ? fitLine(x, y) : all;
      // A bootstrap that drew one wind only has no line: draw again.
      if (!line) continue;
      const count = sources.longTerm
        ? Math.min(
            yearsAvailable,
            LONG_TERM_YEARS[0] +
              Math.floor(random() * (LONG_TERM_YEARS[1] - LONG_TERM_YEARS[0] + 1)),
          )
        : Math.min(yearsAvailable, LONG_TERM_YEARS[1]);
      const lt = longTermMeans[count] as number[];
      let aep = 0;
      for (let m = 0; m < 12; m++) {
        aep += Math.max(0, line.intercept + line.slope * (lt[m] as number)) * (HOURS_PER_YEAR / 12);
      }
      out.push(aep);
    }
    return out;
  };
  const seed = options.seed ?? 1;
  const aeps = run({ meter: true, regression: true, longTerm: true }, seed).sort((a, b) => a - b);
  const mean = aeps.reduce((s, v) => s + v, 0) / aeps.length;
  const spreadPct = (values: number[]) => {
    const m = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
    return (100 * sd) / m;
  };
  return {
    p50_mwh: round(quantile(aeps, 0.5), 1),
    p90_mwh: round(quantile(aeps, 0.1), 1),
    mean_mwh: round(mean, 1),
    uncertainty_pct: round(spreadPct(aeps), 2),
    components_pct: {
      meter: round(
        spreadPct(run({ meter: true, regression: false, longTerm: false }, seed + 1)),
        2,
      ),
      regression: round(
        spreadPct(run({ meter: false, regression: true, longTerm: false }, seed + 2)),
        2,
      ),
      long_term: round(
        spreadPct(run({ meter: false, regression: false, longTerm: true }, seed + 3)),
        2,
      ),
    },
    iterations,
    months: paired.length,
    slope_mw_per_ms: round(all.slope, 4),
    intercept_mw: round(all.intercept, 4),
    r2: round(all.r2, 4),
    reference_years: yearsAvailable,
  };
}

/** The q-quantile of sorted values, linear between neighbours. */
function quantile(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(sorted.length - 1, low + 1);
  return (
    (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low)
  );
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
