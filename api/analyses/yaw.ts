// Static yaw misalignment per turbine, after OpenOA's method: in each wind bin below rated, the
// power performance against the wind vane's angle peaks where the rotor faces the wind; the
// misalignment is the turbine's mean vane angle minus the angle of that peak (a rotor whose vane
// reads 0 while it stands 15° off the wind peaks at -15°: misalignment +15°).
//
// Per 1 m/s bin of normalised wind, the power coefficient proxy (power / wind³, the query's
// cp_sum) of each 1° vane bin, over the bin's mean, is fitted (weighted by readings) with
//   y = A cos^k(v - θ),   k = YAW_POWER_EXPONENT (2),
// and θ is the peak. OpenOA fits the exponent too; a vane spends its time within ±10° or so,
// and there a free exponent trades off against the peak's place (a far peak with a shallow
// curve fits as well as a near one with a steep curve), so the exponent is fixed at the usual
// engineering value and only the peak and the amplitude are fitted. A true exponent of 1.4-2
// would put a 15° misalignment at about 15-18° here. Bins count when their mean output is 10-60%
// of rated (the cubic region, where the vane angle costs power, clear of rated where it costs
// nothing) with at least MIN_BIN_READINGS readings over MIN_VANE_BINS vane bins; the turbine's
// estimate is their mean weighted by readings, with their spread.
import { matches, type TurbineFilter } from "./filter.ts";
import type { TurbineFacts } from "./scan.ts";

export const MIN_BIN_READINGS = 30;
export const MIN_VANE_BINS = 5;
/** Flagged at this misalignment or more (the cos² law: 1.5% of the power below rated at 7°). */
export const YAW_FLAG_DEG = 7;
/**
 * Power below rated ~ cos^k of the misalignment: k = 2 is the usual engineering value (field
 * and wind-tunnel measurements give 1.4-2; k = 3 is the axial-momentum bound).
 */
export const YAW_POWER_EXPONENT = 2;
/** The widest misalignment searched for, degrees. */
const MAX_PEAK_DEG = 40;
const REGION = [0.1, 0.6] as const;

export interface YawBinRow {
  turbine_id: string;
  bin: number;
  vane_bin: number;
  n: number;
  vane_sum: number;
  power_sum: number;
  cp_sum: number;
}

export interface YawMisalignmentRow {
  turbine_id: string;
  project: string | null;
  model: string | null;
  yaw_misalignment_deg: number | null;
  mean_vane_deg: number | null;
  spread_deg: number | null;
  wind_bins: number;
  readings: number;
  flagged: boolean;
}

/**
 * The vane angle θ (degrees) at which y = A cos^k(v - θ) best fits the points (weighted least
 * squares; A in closed form for each θ, θ searched over ±MAX_PEAK_DEG to 0.1°); null without a
 * fit or with the best fit at the search's edge.
 */
export function cosinePeakDeg(
  points: readonly { vaneDeg: number; y: number; weight: number }[],
  exponent = YAW_POWER_EXPONENT,
): number | null {
  const misfit = (theta: number): number => {
    let wyg = 0;
    let wgg = 0;
    for (const p of points) {
      const g = Math.cos(((p.vaneDeg - theta) * Math.PI) / 180) ** exponent;
      wyg += p.weight * p.y * g;
      wgg += p.weight * g * g;
    }
    if (!(wgg > 0)) return Number.POSITIVE_INFINITY;
    const amplitude = wyg / wgg;
    let sse = 0;
    for (const p of points) {
      const g = Math.cos(((p.vaneDeg - theta) * Math.PI) / 180) ** exponent;
      sse += p.weight * (p.y - amplitude * g) ** 2;
    }
    return sse;
  };
  // Whole degrees first, then tenths around the best (the misfit is smooth in θ).
  let best: { theta: number; sse: number } | null = null;
  const consider = (theta: number) => {
    const sse = misfit(theta);
    if (Number.isFinite(sse) && (best === null || sse < best.sse)) best = { theta, sse };
  };
  for (let deg = -MAX_PEAK_DEG; deg <= MAX_PEAK_DEG; deg++) consider(deg);
  const coarse = best as { theta: number; sse: number } | null;
  if (coarse === null) return null;
  for (let tenths = -10; tenths <= 10; tenths++) consider(coarse.theta + tenths / 10);
  // A best fit on the search's edge is no peak found: the data do not bound it.
  const found = best as { theta: number; sse: number } | null;
  if (found === null || Math.abs(found.theta) >= MAX_PEAK_DEG) return null;
  return Math.round(found.theta * 10) / 10;
}

export function yawMisalignment(
  rows: readonly YawBinRow[],
  turbines: readonly TurbineFacts[],
  filter: TurbineFilter = {},
): YawMisalignmentRow[] {
  const facts = new Map(turbines.map((t) => [t.turbine_id, t]));
  const byTurbine = new Map<string, Map<number, YawBinRow[]>>();
  for (const row of rows) {
    let bins = byTurbine.get(row.turbine_id);
    if (!bins) {
      bins = new Map();
      byTurbine.set(row.turbine_id, bins);
    }
    const list = bins.get(row.bin);
    if (list) list.push(row);
    else bins.set(row.bin, [row]);
  }
  const out: YawMisalignmentRow[] = [];
  for (const [id, bins] of byTurbine) {
    const f = facts.get(id) ?? null;
    if (!matches(filter, id, f)) continue;
    const rated = f?.rated_kw;
    const estimates: { deg: number; vane: number; n: number }[] = [];
    for (const list of bins.values()) {
      const n = list.reduce((s, r) => s + r.n, 0);
      if (n < MIN_BIN_READINGS || list.length < MIN_VANE_BINS) continue;
      const perRated = list.reduce((s, r) => s + r.power_sum, 0) / n / (rated ?? Number.NaN);
      if (!(perRated >= REGION[0] && perRated <= REGION[1])) continue;
      const meanCp = list.reduce((s, r) => s + r.cp_sum, 0) / n;
      if (!(meanCp > 0)) continue;
      const peak = cosinePeakDeg(
        list.map((r) => ({ vaneDeg: r.vane_sum / r.n, y: r.cp_sum / r.n / meanCp, weight: r.n })),
      );
      if (peak === null) continue;
      const vane = list.reduce((s, r) => s + r.vane_sum, 0) / n;
      estimates.push({ deg: vane - peak, vane, n });
    }
    const readings = estimates.reduce((s, e) => s + e.n, 0);
    const mean = (pick: (e: (typeof estimates)[number]) => number) =>
      estimates.reduce((s, e) => s + pick(e) * e.n, 0) / readings;
    const misalignment = estimates.length > 0 ? mean((e) => e.deg) : null;
    const spread =
      estimates.length > 1 && misalignment !== null
        ? Math.sqrt(mean((e) => (e.deg - misalignment) ** 2))
        : null;
    out.push({
      turbine_id: id,
      project: f?.project ?? null,
      model: f?.model ?? null,
      yaw_misalignment_deg: misalignment === null ? null : round(misalignment, 1),
      mean_vane_deg:
        estimates.length > 0
          ? round(
              mean((e) => e.vane),
              2,
            )
          : null,
      spread_deg: spread === null ? null : round(spread, 1),
      wind_bins: estimates.length,
      readings,
      flagged: misalignment !== null && Math.abs(misalignment) >= YAW_FLAG_DEG,
    });
  }
  return out.sort(
    (a, b) =>
      Math.abs(b.yaw_misalignment_deg ?? 0) - Math.abs(a.yaw_misalignment_deg ?? 0) ||
      a.turbine_id.localeCompare(b.turbine_id),
  );
}

export function yawBinsFromRows(rows: readonly Record<string, unknown>[]): YawBinRow[] {
  return rows.map((row) => ({
    turbine_id: String(row.turbine_id),
    bin: Number(row.bin),
    vane_bin: Number(row.vane_bin),
    n: Number(row.n),
    vane_sum: Number(row.vane_sum),
    power_sum: Number(row.power_sum),
    cp_sum: Number(row.cp_sum),
  }));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
