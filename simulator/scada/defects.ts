// A few turbines with a deliberate defect, so that the analyses can be checked against the
// truth: the simulator writes who they are in its report, the analyses must find them. Chosen
// among turbines of models with many turbines in the fleet, so that the model's fleet curve (the
// reference) is not their own.
//
// Two kinds last the whole run (a low power curve, a miscalibrated vane: the underperformance
// ranking finds them); two come and go (episodes.ts), for the deficit-period detection: icing
// of blades without de-icing whenever it is cold, and a derating the controller applies without
// telling SCADA (the status stays `producing`). The episodic kinds are planted only when asked
// (ScadaFleetOptions.episodicDefectsPerKind), so that a default run's ranking stays the four.
import { hashString } from "../random.ts";
import type { SimulatedTurbine } from "./turbines.ts";

export type DefectKind = "low_power_curve" | "yaw_misalignment" | "icing" | "derating";

export interface Defect {
  turbine_id: string;
  kind: DefectKind;
  /** low_power_curve: the share of normal output it delivers (0.94: 6% low). */
  powerFactor?: number;
  /** yaw_misalignment: the static offset between rotor axis and wind, degrees. */
  yawOffsetDeg?: number;
  description: string;
}

export const LOW_CURVE_FACTOR = 0.94;
export const YAW_OFFSET_DEG = 15;
/** A model needs this many turbines in the run for its turbines to be candidates. */
const MIN_TURBINES_OF_MODEL = 10;

export function chooseDefects(
  turbines: readonly SimulatedTurbine[],
  perKind = 2,
  episodicPerKind = 0,
): Defect[] {
  const perModel = new Map<string, number>();
  for (const t of turbines) perModel.set(t.model.name, (perModel.get(t.model.name) ?? 0) + 1);
  const candidates = turbines
    .filter((t) => (perModel.get(t.model.name) ?? 0) >= MIN_TURBINES_OF_MODEL)
    .sort((a, b) => hashString(a.turbine_id) - hashString(b.turbine_id));
  const defects: Defect[] = [];
  for (const [i, turbine] of candidates.slice(0, 2 * perKind).entries()) {
    defects.push(
      i % 2 === 0
        ? {
            turbine_id: turbine.turbine_id,
            kind: "low_power_curve",
            powerFactor: LOW_CURVE_FACTOR,
            description: `power curve ${Math.round((1 - LOW_CURVE_FACTOR) * 100)}% low at every wind speed`,
          }
        : {
            turbine_id: turbine.turbine_id,
            kind: "yaw_misalignment",
            yawOffsetDeg: YAW_OFFSET_DEG,
            description: `rotor ${YAW_OFFSET_DEG}° off the wind (miscalibrated wind vane; its own yaw_error_deg does not show it)`,
          },
    );
  }
  // The episodic kinds take the next candidates, so the whole-run defects stay where they were.
  const episodic = candidates.slice(2 * perKind, 2 * perKind + 2 * episodicPerKind);
  for (const [i, turbine] of episodic.entries()) {
    defects.push(
      i % 2 === 0
        ? {
            turbine_id: turbine.turbine_id,
            kind: "icing",
            description:
              "blades ice whenever the air is at or below 1 °C (no de-icing): the rotor yields 45% less below rated",
          }
        : {
            turbine_id: turbine.turbine_id,
            kind: "derating",
            description:
              "derated to 50-70% of rated for 4-12 hours a day while SCADA says producing",
          },
    );
  }
  return defects;
}
