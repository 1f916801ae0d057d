// Power curves by the IEC 61400-12-1 method of bins: producing readings only, wind normalised to
// 1.225 kg/m3 when temperature and pressure were measured, 0.5 m/s bins, in each bin the mean
// normalised wind and the mean power, the readings it holds, and bins with less than 30 minutes
// of data (IEC: three 10-minute readings) marked thin. Per turbine and per model (all the
// model's turbines' readings pooled: the model's fleet curve, the analyses' reference).
import { matches, type TurbineFilter } from "./filter.ts";
import { binCentre, hours, type ScadaScan } from "./scan.ts";

export const THIN_BIN_MINUTES = 30;

export interface PowerCurveBin {
  /** "model" rows pool the model's turbines; "turbine" rows are one turbine's. */
  level: "model" | "turbine";
  model: string | null;
  turbine_id: string | null;
  /** Centre of the 0.5 m/s bin. */
  bin_ms: number;
  /** Mean (normalised) wind of the readings in the bin. */
  wind_ms: number;
  power_kw: number;
  readings: number;
  data_minutes: number;
  thin: boolean;
  density_normalised: boolean;
}

interface Sum {
  n: number;
  power: number;
  wind: number;
  minutes: number;
}

function row(
  level: PowerCurveBin["level"],
  model: string | null,
  turbineId: string | null,
  bin: number,
  sum: Sum,
  densityNormalised: boolean,
): PowerCurveBin {
  const minutes = Math.round(sum.minutes * 10) / 10;
  return {
    level,
    model,
    turbine_id: turbineId,
    bin_ms: binCentre(bin),
    wind_ms: round(sum.wind / sum.n, 3),
    power_kw: round(sum.power / sum.n, 2),
    readings: sum.n,
    data_minutes: minutes,
    thin: sum.minutes < THIN_BIN_MINUTES,
    density_normalised: densityNormalised,
  };
}

export function powerCurves(
  scan: ScadaScan,
  filter: TurbineFilter = {},
  levels: readonly PowerCurveBin["level"][] = ["model", "turbine"],
): PowerCurveBin[] {
  const perModel = new Map<string, Map<number, Sum>>();
  const turbineRows: PowerCurveBin[] = [];
  const ids = [...scan.turbines.keys()].sort();
  for (const id of ids) {
    const turbine = scan.turbines.get(id);
    if (!turbine) continue;
    const model = turbine.facts?.model ?? null;
    // The model curve pools every turbine of the model, whatever the turbine filter.
    const modelWanted = model !== null && (filter.model === undefined || filter.model === model);
    const turbineWanted = matches(filter, id, turbine.facts);
    const minutesPer = hours(turbine.intervalMs) * 60;
    const bins = [...(turbine.byStatus.get("producing") ?? [])].sort((a, b) => a.bin - b.bin);
    for (const b of bins) {
      const sum = { n: b.n, power: b.powerSum, wind: b.windSum, minutes: b.n * minutesPer };
      if (turbineWanted && levels.includes("turbine")) {
        turbineRows.push(row("turbine", model, id, b.bin, sum, scan.densityNormalised));
      }
      if (modelWanted && model !== null) {
        let modelBins = perModel.get(model);
        if (!modelBins) {
          modelBins = new Map();
          perModel.set(model, modelBins);
        }
        const total = modelBins.get(b.bin) ?? { n: 0, power: 0, wind: 0, minutes: 0 };
        total.n += sum.n;
        total.power += sum.power;
        total.wind += sum.wind;
        total.minutes += sum.minutes;
        modelBins.set(b.bin, total);
      }
    }
  }
  const modelRows: PowerCurveBin[] = [];
  if (levels.includes("model") && filter.turbine_id === undefined && filter.project === undefined) {
    for (const model of [...perModel.keys()].sort()) {
      const bins = perModel.get(model) as Map<number, Sum>;
      for (const bin of [...bins.keys()].sort((a, b) => a - b)) {
        modelRows.push(
          row("model", model, null, bin, bins.get(bin) as Sum, scan.densityNormalised),
        );
      }
    }
  }
  return [...modelRows, ...turbineRows];
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
