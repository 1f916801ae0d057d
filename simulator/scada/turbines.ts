// The per-turbine fleet: each project of the calibrated fleet (fleet.ts) expanded into its
// turbines, each its own turbine_id with what the registry holds about it (project, model, rated
// power, hub height, rotor diameter, location). Turbines of a farm stand in a row ~4 rotor
// diameters apart, and the ones behind the first see a little less wind (wakes).

import type { TurbineModel } from "../../api/turbines/models.ts";
import type { Project } from "../fleet.ts";
import { hashString, normal, seededRandom } from "../random.ts";

export interface SimulatedTurbine {
  turbine_id: string;
  project: Project;
  /** 1-based position in its project. */
  index: number;
  model: TurbineModel;
  hubHeightM: number;
  latitude: number;
  longitude: number;
  /** Share of the project's free wind this turbine sees (1 for the first, 0.92-1 behind it). */
  wakeFactor: number;
  /** Per-turbine spread of a healthy power curve (anemometer and blade differences), ~1. */
  curveFactor: number;
}

/** What the registry is told about a turbine (CONTRACTS.md item 3, TurbineDescription). */
export interface SimulatedTurbineDescription {
  name: string;
  project: string;
  model: string;
  rated_kw: number;
  hub_height_m: number;
  rotor_diameter_m: number;
  latitude: number;
  longitude: number;
  commissioned: null;
  tags: Record<string, string>;
}

const M_PER_DEGREE_LATITUDE = 111_000;
/** Standard deviation of a healthy turbine's curve around its model's (0.5%). */
const CURVE_SPREAD = 0.005;

export function expandFleet(projects: readonly Project[]): SimulatedTurbine[] {
  const turbines: SimulatedTurbine[] = [];
  for (const project of projects) {
    const random = seededRandom(hashString(project.id) ^ 0x7e57ab1e);
    const spacingM = 4 * project.model.rotorDiameterM;
    const mPerDegreeLongitude =
      M_PER_DEGREE_LATITUDE * Math.cos((project.latitude * Math.PI) / 180);
    for (let index = 1; index <= project.turbines; index++) {
      const offsetM = (index - 1) * spacingM;
      turbines.push({
        turbine_id: `${project.id}-t${String(index).padStart(2, "0")}`,
        project,
        index,
        model: project.model,
        hubHeightM: project.hubHeightM,
        // The row runs south-west to north-east, across the prevailing wind.
        latitude: round(project.latitude + (offsetM * Math.SQRT1_2) / M_PER_DEGREE_LATITUDE, 5),
        longitude: round(project.longitude + (offsetM * Math.SQRT1_2) / mPerDegreeLongitude, 5),
        wakeFactor: index === 1 ? 1 : 0.92 + 0.08 * random(),
        curveFactor: 1 + CURVE_SPREAD * normal(random),
      });
    }
  }
  return turbines;
}

export function describeTurbine(turbine: SimulatedTurbine): SimulatedTurbineDescription {
  return {
    name: `${turbine.project.name} T${turbine.index}`,
    project: turbine.project.name,
    model: turbine.model.name,
    rated_kw: turbine.model.ratedKw,
    hub_height_m: turbine.hubHeightM,
    rotor_diameter_m: turbine.model.rotorDiameterM,
    latitude: turbine.latitude,
    longitude: turbine.longitude,
    commissioned: null,
    tags: { municipality: turbine.project.municipality, province: turbine.project.province },
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
