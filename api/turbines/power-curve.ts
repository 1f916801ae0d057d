// A turbine model's power curve: cubic in the wind (Betz-limited), a soft knee into rated power,
// nothing below cut-in or above cut-out. The alarms expect power from it and the simulator's
// physics (simulator/physics.ts) makes power with it.
import type { TurbineModel } from "./models.ts";

export const STANDARD_AIR_DENSITY = 1.225;
/** Power coefficient of a modern rotor below rated (the Betz limit is 0.593). */
const POWER_COEFFICIENT = 0.45;
// How sharp the knee into rated power is (a soft minimum; higher is sharper).
const KNEE_SHARPNESS = 8;

/** One turbine's output in kW at hub-height wind `windMs` and air density `density`. */
export function turbinePowerKw(
  model: TurbineModel,
  windMs: number,
  density = STANDARD_AIR_DENSITY,
): number {
  if (windMs < model.cutInMs || windMs > model.cutOutMs) return 0;
  const rotorArea = Math.PI * (model.rotorDiameterM / 2) ** 2;
  const aerodynamicKw = (0.5 * density * rotorArea * POWER_COEFFICIENT * windMs ** 3) / 1000;
  // Soft minimum of what the wind offers and what the generator is rated for.
  return (
    (aerodynamicKw ** -KNEE_SHARPNESS + model.ratedKw ** -KNEE_SHARPNESS) ** (-1 / KNEE_SHARPNESS)
  );
}
