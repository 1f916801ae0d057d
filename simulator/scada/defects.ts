// A few turbines with a deliberate defect, so that the analyses can be checked against the
// truth: the simulator writes who they are in its report, the underperformance ranking must find
// them. Chosen among turbines of models with many turbines in the fleet, so that the model's
// fleet curve (the reference) is not their own.
import { hashString } from "../random.ts";
import type { SimulatedTurbine } from "./turbines.ts";

export interface Defect {
  turbine_id: string;
  kind: "low_power_curve" | "yaw_misalignment";
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

export function chooseDefects(turbines: readonly SimulatedTurbine[], perKind = 2): Defect[] {
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
  return defects;
}
