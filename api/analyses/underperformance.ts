// Underperformance: each turbine's (or project's) energy while producing against what its model's
// per-unit reference curve (reference.ts) times its own rating predicts from its own normalised
// wind, bin by bin, over the period.
// shortfall % = 100 (1 - actual / expected); the MWh are the same difference over the readings'
// time. A turbine is flagged when its shortfall reaches UNDERPERFORMANCE_THRESHOLD_PCT and it
// produced for at least MIN_PRODUCING_HOURS (a day of data: fewer readings are noise).
import { matches, type TurbineFilter } from "./filter.ts";
import { ReferenceCurves } from "./reference.ts";
import type { ScadaScan } from "./scan.ts";

export const UNDERPERFORMANCE_THRESHOLD_PCT = 3;
export const MIN_PRODUCING_HOURS = 24;

export interface UnderperformanceRow {
  rank: number;
  turbine_id: string;
  project: string | null;
  model: string | null;
  producing_hours: number;
  actual_mwh: number;
  expected_mwh: number;
  shortfall_mwh: number;
  shortfall_pct: number;
  flagged: boolean;
}

export function underperformance(
  scan: ScadaScan,
  filter: TurbineFilter = {},
  reference = new ReferenceCurves(scan),
): UnderperformanceRow[] {
  const rows: Omit<UnderperformanceRow, "rank">[] = [];
  for (const turbine of scan.turbines.values()) {
    const model = turbine.facts?.model ?? null;
    if (!matches(filter, turbine.turbine_id, turbine.facts)) continue;
    if (model === null || !reference.has(model)) continue;
    const bins = turbine.byStatus.get("producing") ?? [];
    let producingHours = 0;
    let actual = 0;
    for (const b of bins) {
      producingHours += b.hours;
      // At standard density, as the reference (stall rows' power normalised, scan.ts).
      actual += b.energyNKwh;
    }
    const expected = reference.expectedKwh(turbine.facts, bins);
    if (expected <= 0) continue;
    const shortfallPct = 100 * (1 - actual / expected);
    rows.push({
      turbine_id: turbine.turbine_id,
      project: turbine.facts?.project ?? null,
      model,
      producing_hours: round(producingHours, 2),
      actual_mwh: round(actual / 1000, 3),
      expected_mwh: round(expected / 1000, 3),
      shortfall_mwh: round((expected - actual) / 1000, 3),
      shortfall_pct: round(shortfallPct, 2),
      flagged:
        producingHours >= MIN_PRODUCING_HOURS && shortfallPct >= UNDERPERFORMANCE_THRESHOLD_PCT,
    });
  }
  rows.sort(
    (a, b) => b.shortfall_pct - a.shortfall_pct || a.turbine_id.localeCompare(b.turbine_id),
  );
  return rows.map((r, i) => ({ rank: i + 1, ...r }));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
