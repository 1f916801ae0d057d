// Deficit periods: hours a turbine produced well under what its model's reference curve predicts
// at its own wind, joined into periods, with their likely cause. After OpenOA's filters (its
// bin filter: power far from the curve in its wind bin; its window filters: power held under a
// level while the wind is above it), done per hour on the store's hourly bins
// (api/queries/scada.ts), so that a period is found whatever the store's interval:
//
//   an hour counts when at least half of it is `producing` and the reference expects at least
//   15% of rated power there (near cut-in the curve is too steep for a ratio to mean anything);
//   it is a deficit when its energy is under 85% of the expectation. Deficit hours next to each
//   other make a period; a period of one hour is noise and dropped.
//   cause, per hour, first that fits: `derating` when the power stands flat (coefficient of
//   variation under 3% across the hour's readings) under 90% of rated, a controller's cap that
//   SCADA did not report as curtailment; `icing` when the air was at or below 3 °C (ambient
//   temperature stored); else `underproduction`. A period's cause is its hours' most common.
//
// The reference excludes the deficits: the curves are built from every hour, the deficit hours
// found, the curves built again without them and the hours judged again, until no new deficit
// hour appears. So an iced turbine does not drag its model's curve down (OpenOA removes flagged
// data before any curve).
import { matches, type TurbineFilter } from "./filter.ts";
import { ReferenceCurves } from "./reference.ts";
import type { ScadaScan, TurbineFacts, TurbineScan, WindBin } from "./scan.ts";

export const DEFICIT_RATIO = 0.85;
export const MIN_EXPECTED_SHARE = 0.15;
export const FLAT_POWER_CV = 0.03;
export const ICING_TEMPERATURE_C = 3;
export const MIN_PERIOD_HOURS = 2;
/** Rebuilding the curves settles in two or three passes; this bounds the work. */
const MAX_PASSES = 5;

export type DeficitCause = "derating" | "icing" | "underproduction";

/** One row of the store's hourly bins (renderHourlyScadaBinsQuery). */
export interface HourBin extends WindBin {
  turbine_id: string;
  hour: number;
  status: string;
  powerSqSum: number;
  minTemperatureC: number | null;
}

export interface DeficitPeriod {
  turbine_id: string;
  project: string | null;
  model: string | null;
  cause: DeficitCause;
  from: string;
  to: string;
  hours: number;
  actual_mwh: number;
  expected_mwh: number;
  lost_mwh: number;
  ratio: number;
  min_temperature_c: number | null;
}

interface JudgedHour {
  hour: number;
  deficit: boolean;
  cause: DeficitCause;
  actualKwh: number;
  expectedKwh: number;
  minTemperatureC: number | null;
}

const HOUR_MS = 3_600_000;

/** Deficit periods of every turbine the filter keeps, longest loss first. */
export function deficitPeriods(
  hourBins: readonly HourBin[],
  turbines: readonly TurbineFacts[],
  range: { from: number; to: number },
  filter: TurbineFilter = {},
): DeficitPeriod[] {
  const facts = new Map(turbines.map((t) => [t.turbine_id, t]));
  // turbine -> hour -> its bins
  const byTurbine = new Map<string, Map<number, HourBin[]>>();
  for (const b of hourBins) {
    let hours = byTurbine.get(b.turbine_id);
    if (!hours) {
      hours = new Map();
      byTurbine.set(b.turbine_id, hours);
    }
    const list = hours.get(b.hour);
    if (list) list.push(b);
    else hours.set(b.hour, [b]);
  }
  // Curves without the deficit hours, until leaving them out finds no new ones.
  let excluded = new Set<string>();
  let reference = new ReferenceCurves(scanOf(byTurbine, facts, range, () => false));
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const found = new Set<string>();
    for (const [id, hours] of byTurbine) {
      for (const [hour, bins] of hours) {
        if (judge(reference, facts.get(id) ?? null, hour, bins)?.deficit)
          found.add(`${id}@${hour}`);
      }
    }
    if (found.size === excluded.size && [...found].every((key) => excluded.has(key))) break;
    excluded = found;
    reference = new ReferenceCurves(
      scanOf(byTurbine, facts, range, (id, hour) => excluded.has(`${id}@${hour}`)),
    );
  }
  const periods: DeficitPeriod[] = [];
  for (const [id, hours] of byTurbine) {
    const f = facts.get(id) ?? null;
    if (!matches(filter, id, f)) continue;
    const judged = [...hours]
      .map(([hour, bins]) => judge(reference, f, hour, bins))
      .filter((h): h is JudgedHour => h?.deficit === true)
      .sort((a, b) => a.hour - b.hour);
    let run: JudgedHour[] = [];
    const close = () => {
      if (run.length >= MIN_PERIOD_HOURS) periods.push(period(id, f, run));
      run = [];
    };
    for (const h of judged) {
      const last = run[run.length - 1];
      if (last && h.hour !== last.hour + 1) close();
      run.push(h);
    }
    close();
  }
  return periods.sort(
    (a, b) => b.lost_mwh - a.lost_mwh || a.turbine_id.localeCompare(b.turbine_id),
  );
}

/** One hour of one turbine against the reference; null when the hour cannot be judged. */
function judge(
  reference: ReferenceCurves,
  facts: TurbineFacts | null,
  hour: number,
  bins: readonly HourBin[],
): JudgedHour | null {
  const rated = facts?.rated_kw;
  if (!facts?.model || !rated || !(rated > 0) || !reference.has(facts.model)) return null;
  const producing = bins.filter((b) => b.status === "producing");
  let hoursProducing = 0;
  let actual = 0;
  let n = 0;
  let sum = 0;
  let squares = 0;
  let cold: number | null = null;
  for (const b of producing) {
    hoursProducing += b.hours;
    actual += b.energyNKwh;
    n += b.n;
    sum += b.powerSum;
    squares += b.powerSqSum;
    if (b.minTemperatureC !== null) cold = Math.min(cold ?? b.minTemperatureC, b.minTemperatureC);
  }
  if (hoursProducing < 0.5) return null;
  const expected = reference.expectedKwh(facts, producing);
  if (expected / hoursProducing < MIN_EXPECTED_SHARE * rated) return null;
  const mean = sum / n;
  const cv = n > 1 && mean > 0 ? Math.sqrt(Math.max(0, squares / n - mean * mean)) / mean : 1;
  const cause: DeficitCause =
    n > 1 && cv < FLAT_POWER_CV && mean < 0.9 * rated
      ? "derating"
      : cold !== null && cold <= ICING_TEMPERATURE_C
        ? "icing"
        : "underproduction";
  return {
    hour,
    deficit: actual < DEFICIT_RATIO * expected,
    cause,
    actualKwh: actual,
    expectedKwh: expected,
    minTemperatureC: cold,
  };
}

function period(id: string, facts: TurbineFacts | null, run: readonly JudgedHour[]): DeficitPeriod {
  const counts = new Map<DeficitCause, number>();
  for (const h of run) counts.set(h.cause, (counts.get(h.cause) ?? 0) + 1);
  const order: DeficitCause[] = ["derating", "icing", "underproduction"];
  const cause = order.reduce((best, c) =>
    (counts.get(c) ?? 0) > (counts.get(best) ?? 0) ? c : best,
  );
  const actual = run.reduce((s, h) => s + h.actualKwh, 0);
  const expected = run.reduce((s, h) => s + h.expectedKwh, 0);
  const temperatures = run.map((h) => h.minTemperatureC).filter((t): t is number => t !== null);
  const start = (run[0] as JudgedHour).hour;
  const end = (run[run.length - 1] as JudgedHour).hour + 1;
  return {
    turbine_id: id,
    project: facts?.project ?? null,
    model: facts?.model ?? null,
    cause,
    from: new Date(start * HOUR_MS).toISOString(),
    to: new Date(end * HOUR_MS).toISOString(),
    hours: end - start,
    actual_mwh: round(actual / 1000, 3),
    expected_mwh: round(expected / 1000, 3),
    lost_mwh: round((expected - actual) / 1000, 3),
    ratio: round(actual / expected, 3),
    min_temperature_c: temperatures.length > 0 ? Math.min(...temperatures) : null,
  };
}

/** The hourly bins summed over hours into a scan (hours `skip` says leave out). */
function scanOf(
  byTurbine: Map<string, Map<number, HourBin[]>>,
  facts: Map<string, TurbineFacts>,
  range: { from: number; to: number },
  skip: (id: string, hour: number) => boolean,
): ScadaScan {
  const turbines = new Map<string, TurbineScan>();
  for (const [id, hours] of byTurbine) {
    const scan: TurbineScan = {
      turbine_id: id,
      facts: facts.get(id) ?? null,
      readings: 0,
      dataHours: 0,
      byStatus: new Map(),
    };
    for (const [hour, bins] of hours) {
      if (skip(id, hour)) continue;
      for (const b of bins) {
        let list = scan.byStatus.get(b.status);
        if (!list) {
          list = [];
          scan.byStatus.set(b.status, list);
        }
        list.push(b);
        scan.readings += b.n;
        scan.dataHours += b.hours;
      }
    }
    turbines.set(id, scan);
  }
  return { range, densityNormalised: false, turbines };
}

/** The store's rows of renderHourlyScadaBinsQuery as HourBins. */
export function hourBinsFromRows(rows: readonly Record<string, unknown>[]): HourBin[] {
  return rows.map((row) => ({
    turbine_id: String(row.turbine_id),
    hour: Number(row.hour),
    status: row.status === null ? "unknown" : String(row.status),
    bin: Number(row.bin),
    n: Number(row.n),
    powerSum: Number(row.power_sum),
    powerSqSum: Number(row.power_sq_sum),
    windSum: Number(row.wind_sum),
    hours: Number(row.hours),
    energyKwh: Number(row.energy_kwh),
    energyNKwh: Number(row.energy_n_kwh ?? row.energy_kwh),
    minTemperatureC:
      row.min_temperature_c === null || row.min_temperature_c === undefined
        ? null
        : Number(row.min_temperature_c),
  }));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
