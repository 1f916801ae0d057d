// From the wind a weather source reports to the power a wind project delivers.
//
//   1. wind at the source height (10 m for stations, 100 m for models) to hub height, with the
//      logarithmic profile over the ground's roughness;
//   2. air density from temperature and pressure: the same wind carries ~10% more energy on a
//      cold high-pressure day than on a warm low;
//   3. the model's power curve (api/turbines/power-curve.ts, which the alarms expect power from);
//   4. times the number of turbines; in a farm of several the turbines behind the first see less
//      wind (wakes), a single turbine stands in free wind.
import type { TurbineModel } from "../api/turbines/models.ts";
import { turbinePowerKw } from "../api/turbines/power-curve.ts";

/** Roughness length of Dutch farmland with hedges and scattered buildings, in metres. */
export const DEFAULT_ROUGHNESS_M = 0.1;
/**
 * The mean share of the free wind a turbine behind the first sees in a farm (the per-turbine
 * mode's wake factors, 0.92-1, average 0.96: simulator/scada/turbines.ts).
 */
export const WAKED_WIND_SHARE = 0.96;

/** Wind at `hubHeightM`, from wind measured at `sourceHeightM` (log profile). */
export function windAtHubHeight(
  windMs: number,
  sourceHeightM: number,
  hubHeightM: number,
  roughnessM = DEFAULT_ROUGHNESS_M,
): number {
  if (sourceHeightM === hubHeightM) return windMs;
  return windMs * (Math.log(hubHeightM / roughnessM) / Math.log(sourceHeightM / roughnessM));
}

/** Dry-air density from temperature (°C) and pressure (hPa). */
export function airDensity(temperatureC: number, pressureHpa: number): number {
  return (pressureHpa * 100) / (287.05 * (temperatureC + 273.15));
}

/** The original experiment's curve: a straight line from 0 at 4 m/s to rated at 11 m/s. */
export function straightLinePowerKw(model: TurbineModel, windMs: number): number {
  if (windMs < 4) return 0;
  if (windMs >= 11) return windMs > model.cutOutMs ? 0 : model.ratedKw;
  return (model.ratedKw * (windMs - 4)) / 7;
}

export interface ProjectConditions {
  /** Wind at the weather source's height. */
  windMs: number;
  sourceHeightM: number;
  temperatureC: number;
  pressureHpa: number;
}

/**
 * The mean share of the free wind a farm's turbines see: the first 1, each behind it
 * WAKED_WIND_SHARE; a single turbine 1 (no wake).
 */
export function farmWindShare(turbines: number): number {
  if (turbines <= 1) return 1;
  return (1 + WAKED_WIND_SHARE * (turbines - 1)) / turbines;
}

/**
 * A project's output in kW and the wind its turbines see (their mean nacelle wind: the free
 * hub-height wind times farmWindShare), before availability and noise. The power is the
 * turbines' curve at that wind, so wake losses show as less wind, as a farm's own anemometers
 * report them, and a farm's power per kW rated against its reported wind is its model's curve
 * whatever its size.
 */
export function projectPower(
  model: TurbineModel,
  turbines: number,
  hubHeightM: number,
  conditions: ProjectConditions,
): { powerKw: number; hubWindMs: number } {
  const freeWindMs = windAtHubHeight(conditions.windMs, conditions.sourceHeightM, hubHeightM);
  const hubWindMs = freeWindMs * farmWindShare(turbines);
  const density = airDensity(conditions.temperatureC, conditions.pressureHpa);
  const powerKw = turbinePowerKw(model, hubWindMs, density) * turbines;
  return { powerKw, hubWindMs };
}
