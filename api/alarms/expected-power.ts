// What a turbine should deliver at a wind speed: its model's power curve (the one the simulator
// makes power with: cubic below rated with a soft knee, standard air density),
// scaled to the turbine's rated power, so a project of n turbines expects n times one. The
// fleet's own measured curve would drift with the faults it is meant to catch; the model's does not.

import { findModel, type TurbineModel } from "../turbines/models.ts";
import { turbinePowerKw } from "../turbines/power-curve.ts";

export interface ExpectedBand {
  model: TurbineModel;
  /** The wind band the rule looks at: cut-in + 2 m/s up to rated wind. */
  fromMs: number;
  toMs: number;
}

const bands = new Map<string, ExpectedBand | null>();

/** The model's band, or null for a model gust has no curve for (the rule then does not apply). */
export function expectedBand(modelName: string | null): ExpectedBand | null {
  if (!modelName) return null;
  let band = bands.get(modelName);
  if (band === undefined) {
    const model = findModel(modelName);
    band = model ? { model, fromMs: model.cutInMs + 2, toMs: ratedWindMs(model) } : null;
    bands.set(modelName, band);
  }
  return band;
}

/** The lowest wind at which the curve gives 98% of rated power. */
function ratedWindMs(model: TurbineModel): number {
  for (let wind = model.cutInMs; wind < model.cutOutMs; wind += 0.1) {
    if (turbinePowerKw(model, wind) >= 0.98 * model.ratedKw) return Math.round(wind * 10) / 10;
  }
  return model.cutOutMs;
}

/** Expected kW at `windMs` for a turbine (or project) of `ratedKw` built of `band.model`. */
export function expectedPowerKw(
  band: ExpectedBand,
  windMs: number,
  ratedKw: number | null,
): number {
  return (
    (turbinePowerKw(band.model, windMs) / band.model.ratedKw) * (ratedKw ?? band.model.ratedKw)
  );
}
