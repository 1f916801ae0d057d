// Power curves by the IEC 61400-12-1 method of bins: producing readings only, wind normalised to
// 1.225 kg/m3 when temperature and pressure were measured, 0.5 m/s bins, in each bin the mean
// normalised wind and the mean power, the readings it holds, and bins with less than 30 minutes
// of data (IEC: three 10-minute readings) marked thin; bins are centred on multiples of 0.5 m/s,
// and every curve's rows carry its database completeness check (iec-completeness.ts). Stall-
// regulated rows (registry tag control=stall) have their power normalised instead of their wind. Per turbine and per model: the model's rows
// pooled per kW of rated power (a farm of 66 turbines weighs as much per reading as one turbine,
// and does not raise the curve), shown in kW of one turbine of the model.

import { WIND_BIN_MS } from "../queries/scada.ts";
import { matches, type TurbineFilter } from "./filter.ts";
import { type CurveCompleteness, curveCompleteness, THIN_BIN_MINUTES } from "./iec-completeness.ts";
import { binCentre, type ScadaScan, unitRatedKw } from "./scan.ts";

export interface PowerCurveBin extends CurveCompleteness {
  /** "model" rows pool the model's turbines; "turbine" rows are one turbine's. */
  level: "model" | "turbine";
  model: string | null;
  turbine_id: string | null;
  /** Centre of the 0.5 m/s bin. */
  bin_ms: number;
  /** Mean (normalised) wind of the readings in the bin. */
  wind_ms: number;
  /** Mean power (time-weighted); model rows: per kW rated times one turbine's rating. */
  power_kw: number;
  /** The same per kW of the row's rated power (model rows: pooled over the model's rows). */
  power_per_rated: number | null;
  readings: number;
  data_minutes: number;
  thin: boolean;
  density_normalised: boolean;
}

/** Each curve's bins get its completeness check (IEC 61400-12-1, iec-completeness.ts). */
function withCompleteness(rows: Omit<PowerCurveBin, keyof CurveCompleteness>[]): PowerCurveBin[] {
  const check = curveCompleteness(
    rows.map((r) => ({
      bin: Math.round(r.bin_ms / WIND_BIN_MS),
      hours: r.data_minutes / 60,
      perUnit: r.power_per_rated,
    })),
    WIND_BIN_MS,
  );
  return rows.map((r) => ({ ...r, ...check }));
}

interface Sum {
  n: number;
  wind: number;
  hours: number;
  energyKwh: number;
  /** Energy over the row's rated power: kWh per kW rated. */
  perUnitKwh: number;
}

function row(
  level: PowerCurveBin["level"],
  model: string | null,
  turbineId: string | null,
  bin: number,
  sum: Sum,
  /** One turbine's rating (model rows) or the row's; null when the registry gives none. */
  ratedKw: number | null,
  densityNormalised: boolean,
): Omit<PowerCurveBin, keyof CurveCompleteness> {
  const rated = ratedKw !== null;
  const minutes = sum.hours * 60;
  const perUnit = sum.perUnitKwh / sum.hours;
  // A row's own curve is its energy over its time; only model rows go through the rating.
  const powerKw =
    level === "turbine" || ratedKw === null ? sum.energyKwh / sum.hours : perUnit * ratedKw;
  return {
    level,
    model,
    turbine_id: turbineId,
    bin_ms: binCentre(bin),
    wind_ms: round(sum.wind / sum.n, 3),
    power_kw: round(powerKw, 2),
    power_per_rated: rated ? round(perUnit, 4) : null,
    readings: sum.n,
    data_minutes: round(minutes, 1),
    thin: minutes < THIN_BIN_MINUTES - 1e-9,
    density_normalised: densityNormalised,
  };
}

export function powerCurves(
  scan: ScadaScan,
  filter: TurbineFilter = {},
  levels: readonly PowerCurveBin["level"][] = ["model", "turbine"],
): PowerCurveBin[] {
  const perModel = new Map<string, Map<number, Sum>>();
  const unitRatings = new Map<string, Map<number, number>>();
  const turbineRows: PowerCurveBin[] = [];
  const ids = [...scan.turbines.keys()].sort();
  for (const id of ids) {
    const turbine = scan.turbines.get(id);
    if (!turbine) continue;
    const model = turbine.facts?.model ?? null;
    const unit = unitRatedKw(turbine.facts);
    // A row without a rating shows its curve in kW (per unit 1 kW) and stays out of the model's.
    const rated = unit === null ? 1 : (turbine.facts?.rated_kw as number);
    // The model curve pools every turbine of the model, whatever the turbine filter.
    const modelWanted =
      model !== null && unit !== null && (filter.model === undefined || filter.model === model);
    const turbineWanted = matches(filter, id, turbine.facts);
    const bins = [...(turbine.byStatus.get("producing") ?? [])].sort((a, b) => a.bin - b.bin);
    if (modelWanted && model !== null && unit !== null && bins.length > 0) {
      let counts = unitRatings.get(model);
      if (!counts) {
        counts = new Map();
        unitRatings.set(model, counts);
      }
      counts.set(unit, (counts.get(unit) ?? 0) + 1);
    }
    const own: Omit<PowerCurveBin, keyof CurveCompleteness>[] = [];
    for (const b of bins) {
      if (b.hours <= 0) continue;
      const sum = {
        n: b.n,
        wind: b.windSum,
        hours: b.hours,
        energyKwh: b.energyNKwh,
        perUnitKwh: b.energyNKwh / rated,
      };
      if (turbineWanted && levels.includes("turbine")) {
        const rating = unit === null ? null : rated;
        own.push(row("turbine", model, id, b.bin, sum, rating, scan.densityNormalised));
      }
      if (modelWanted && model !== null) {
        let modelBins = perModel.get(model);
        if (!modelBins) {
          modelBins = new Map();
          perModel.set(model, modelBins);
        }
        const total = modelBins.get(b.bin) ?? {
          n: 0,
          wind: 0,
          hours: 0,
          energyKwh: 0,
          perUnitKwh: 0,
        };
        total.n += sum.n;
        total.wind += sum.wind;
        total.hours += sum.hours;
        total.energyKwh += sum.energyKwh;
        total.perUnitKwh += sum.perUnitKwh;
        modelBins.set(b.bin, total);
      }
    }
    if (own.length > 0) turbineRows.push(...withCompleteness(own));
  }
  const modelRows: PowerCurveBin[] = [];
  if (levels.includes("model") && filter.turbine_id === undefined && filter.project === undefined) {
    for (const model of [...perModel.keys()].sort()) {
      const bins = perModel.get(model) as Map<number, Sum>;
      // Shown in kW of one turbine of the model: the rating most of its rows have per turbine.
      const counts = [...(unitRatings.get(model) ?? new Map<number, number>())];
      const [rating] = counts.sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] ?? [1];
      const curve = [...bins.keys()]
        .sort((a, b) => a - b)
        .map((bin) =>
          row("model", model, null, bin, bins.get(bin) as Sum, rating, scan.densityNormalised),
        );
      modelRows.push(...withCompleteness(curve));
    }
  }
  return [...modelRows, ...turbineRows];
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
