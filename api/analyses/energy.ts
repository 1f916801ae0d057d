// Energy and capacity factor per turbine, project, province and the fleet, from the registry's
// rated power: energy = the sum of each reading's power times the time it stands for (the shorter
// step to its turbine's previous or next reading, api/queries/scada.ts);
// capacity factor = energy / (rated power x the whole period), so hours without data count as
// hours without energy (the data coverage beside says how many there were); emissions avoided =
// energy x the grid emission factor (emissions.ts).

import { DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH, emissionsAvoidedT } from "./emissions.ts";
import { matches, type TurbineFilter } from "./filter.ts";
import { hours, type ScadaScan, type TurbineFacts } from "./scan.ts";

export interface EnergyRow {
  level: "turbine" | "project" | "province" | "fleet";
  name: string;
  turbines: number;
  rated_kw: number;
  energy_mwh: number;
  /** Null when the rated power is unknown (an unregistered turbine). */
  capacity_factor: number | null;
  data_coverage: number;
  /** Tonnes of CO2 the grid would have emitted for the same energy (emissions.ts). */
  emissions_avoided_t: number;
}

interface Sums {
  turbines: number;
  rated: number;
  energy: number;
  dataHours: number;
}

export function energyAndCapacityFactor(
  scan: ScadaScan,
  registered: readonly TurbineFacts[],
  gridEmissionFactorKgPerKwh = DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH,
  filter: TurbineFilter = {},
): EnergyRow[] {
  const periodHours = hours(scan.range.to - scan.range.from);
  const facts = new Map(registered.map((t) => [t.turbine_id, t]));
  const ids = [...new Set([...facts.keys(), ...scan.turbines.keys()])].sort();
  const groups = {
    turbine: new Map<string, Sums>(),
    project: new Map<string, Sums>(),
    province: new Map<string, Sums>(),
    fleet: new Map<string, Sums>(),
  };
  for (const id of ids) {
    const turbine = scan.turbines.get(id);
    const f = turbine?.facts ?? facts.get(id) ?? null;
    if (!matches(filter, id, f)) continue;
    let energy = 0;
    for (const bins of turbine?.byStatus.values() ?? []) {
      for (const b of bins) energy += b.energyKwh / 1000;
    }
    const sums: Sums = {
      turbines: 1,
      rated: f?.rated_kw ?? Number.NaN,
      energy,
      dataHours: Math.min(periodHours, turbine?.dataHours ?? 0),
    };
    const keys = {
      turbine: id,
      project: f?.project ?? id,
      province: f?.tags.province ?? "(unknown)",
      fleet: "fleet",
    };
    for (const level of Object.keys(groups) as (keyof typeof groups)[]) {
      const group = groups[level];
      const total = group.get(keys[level]) ?? { turbines: 0, rated: 0, energy: 0, dataHours: 0 };
      total.turbines += sums.turbines;
      total.rated += sums.rated;
      total.energy += sums.energy;
      total.dataHours += sums.dataHours;
      group.set(keys[level], total);
    }
  }
  const rows: EnergyRow[] = [];
  for (const level of ["fleet", "province", "project", "turbine"] as const) {
    for (const [name, s] of [...groups[level]].sort((a, b) => b[1].energy - a[1].energy)) {
      const rated = Number.isFinite(s.rated) ? s.rated : null;
      rows.push({
        level,
        name,
        turbines: s.turbines,
        rated_kw: rated ?? 0,
        energy_mwh: round(s.energy, 3),
        capacity_factor:
          rated && rated > 0 && periodHours > 0
            ? round((s.energy * 1000) / (rated * periodHours), 4)
            : null,
        data_coverage: round(s.dataHours / (s.turbines * periodHours), 4),
        emissions_avoided_t: round(emissionsAvoidedT(s.energy, gridEmissionFactorKgPerKwh), 3),
      });
    }
  }
  return rows;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
