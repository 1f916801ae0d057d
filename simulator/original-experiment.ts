// What the original 770-project experiment did, to compare with the physics here on the same
// weather: it took the 10 m wind of a weather service as the hub wind, with no height correction,
// and a straight-line power curve from 4 to 11 m/s. It predicted 527 MW while about 2 GW was
// reported for the Dutch onshore fleet.
import type { Project } from "./fleet.ts";
import { projectPower, straightLinePowerKw } from "./physics.ts";
import type { Weather } from "./weather/provider.ts";

export const ORIGINAL_PREDICTION_MW = 527;

export interface FleetPrediction {
  /** The original method: 10 m wind straight into the straight-line curve. */
  originalMw: number;
  /** This simulator: hub-height wind, air density, the model's curve, wake losses. */
  hubHeightMw: number;
  meanWind10mMs: number;
}

export function compareWithOriginal(
  fleet: readonly Project[],
  weather: readonly Weather[],
): FleetPrediction {
  let originalKw = 0;
  let hubHeightKw = 0;
  let wind = 0;
  fleet.forEach((project, i) => {
    const w = weather[i] as Weather;
    wind += w.windMs;
    originalKw += straightLinePowerKw(project.model, w.windMs) * project.turbines;
    hubHeightKw += projectPower(project.model, project.turbines, project.hubHeightM, {
      windMs: w.windMs,
      sourceHeightM: w.heightM,
      temperatureC: w.temperatureC,
      pressureHpa: w.pressureHpa,
    }).powerKw;
  });
  return {
    originalMw: originalKw / 1000,
    hubHeightMw: hubHeightKw / 1000,
    meanWind10mMs: wind / fleet.length,
  };
}
