// Availability and lost energy, after IEC 61400-26-1 (time-based) and 61400-26-2
// (production-based), simplified to what SCADA readings with a coarse status say:
//
//   each reading stands for the time to its neighbours (api/queries/scada.ts); the period splits into
//     unknown      no reading covers it (reported, and left out of both availabilities)
//     fault, maintenance   readings with that status: the turbine was unavailable
//     the rest     available (producing, idle for lack of wind, curtailed by the grid operator)
//   time-based availability = 1 - (fault + maintenance) / (period - unknown)
//   lost energy of a cause = for its readings, bin by bin, max(0, n * expected - produced) times
//     its time, where expected is the model's per-unit reference curve (reference.ts) at the
//     reading's own measured (normalised) wind times the row's rating; curtailment loses what the
//     cap withheld
//   production-based availability = actual / (actual + lost to fault + lost to maintenance)
//     (curtailment is an external, requested limitation: IEC 61400-26-2 counts it outside the
//     turbine's unavailability; its loss is reported beside)
// Per turbine, and summed per project and for the fleet (availabilities from the sums).
import { matches, type TurbineFilter } from "./filter.ts";
import { ReferenceCurves } from "./reference.ts";
import { hours, type ScadaScan, type TurbineFacts } from "./scan.ts";

export interface AvailabilityRow {
  level: "turbine" | "project" | "fleet";
  turbine_id: string | null;
  project: string | null;
  model: string | null;
  province: string | null;
  turbines: number;
  period_hours: number;
  data_hours: number;
  unknown_hours: number;
  fault_hours: number;
  maintenance_hours: number;
  curtailed_hours: number;
  /** Percent; null without data. */
  time_availability_pct: number | null;
  energy_mwh: number;
  lost_fault_mwh: number;
  lost_maintenance_mwh: number;
  lost_curtailment_mwh: number;
  production_availability_pct: number | null;
}

interface Sums {
  turbines: number;
  period: number;
  data: number;
  fault: number;
  maintenance: number;
  curtailed: number;
  energy: number;
  lostFault: number;
  lostMaintenance: number;
  lostCurtailment: number;
}

const zero = (): Sums => ({
  turbines: 0,
  period: 0,
  data: 0,
  fault: 0,
  maintenance: 0,
  curtailed: 0,
  energy: 0,
  lostFault: 0,
  lostMaintenance: 0,
  lostCurtailment: 0,
});

function add(into: Sums, from: Sums): void {
  for (const key of Object.keys(into) as (keyof Sums)[]) into[key] += from[key];
}

/**
 * `registered`: every turbine of the registry, so that one without a single reading still shows
 * (all unknown).
 */
export function availability(
  scan: ScadaScan,
  registered: readonly TurbineFacts[],
  filter: TurbineFilter = {},
  reference = new ReferenceCurves(scan),
): AvailabilityRow[] {
  const periodHours = hours(scan.range.to - scan.range.from);
  const facts = new Map(registered.map((t) => [t.turbine_id, t]));
  const ids = new Set([...facts.keys(), ...scan.turbines.keys()]);
  const turbineRows: AvailabilityRow[] = [];
  const projects = new Map<string, { sums: Sums; facts: TurbineFacts | null }>();
  const fleet = zero();
  for (const id of [...ids].sort()) {
    const turbine = scan.turbines.get(id);
    const f = turbine?.facts ?? facts.get(id) ?? null;
    if (!matches(filter, id, f)) continue;
    const sums = zero();
    sums.turbines = 1;
    sums.period = periodHours;
    if (turbine) {
      sums.data = Math.min(periodHours, turbine.dataHours);
      const lost = (status: string) => {
        let kwh = 0;
        for (const b of turbine.byStatus.get(status) ?? []) {
          kwh += Math.max(0, b.hours * reference.expectedKw(f, b.bin) - b.energyKwh);
        }
        return kwh / 1000;
      };
      const count = (status: string) =>
        (turbine.byStatus.get(status) ?? []).reduce((s, b) => s + b.hours, 0);
      sums.fault = count("fault");
      sums.maintenance = count("maintenance");
      sums.curtailed = count("curtailed");
      for (const bins of turbine.byStatus.values()) {
        for (const b of bins) sums.energy += b.energyKwh / 1000;
      }
      sums.lostFault = lost("fault");
      sums.lostMaintenance = lost("maintenance");
      sums.lostCurtailment = lost("curtailed");
    }
    turbineRows.push(toRow("turbine", id, f?.project ?? null, f?.model ?? null, province(f), sums));
    const projectName = f?.project ?? id;
    let project = projects.get(projectName);
    if (!project) {
      project = { sums: zero(), facts: f };
      projects.set(projectName, project);
    }
    add(project.sums, sums);
    add(fleet, sums);
  }
  const projectRows = [...projects.keys()].sort().map((name) => {
    const { sums, facts: f } = projects.get(name) as { sums: Sums; facts: TurbineFacts | null };
    return toRow("project", null, name, f?.model ?? null, province(f), sums);
  });
  return [toRow("fleet", null, null, null, null, fleet), ...projectRows, ...turbineRows];
}

function province(facts: TurbineFacts | null): string | null {
  return facts?.tags.province ?? null;
}

function toRow(
  level: AvailabilityRow["level"],
  turbineId: string | null,
  project: string | null,
  model: string | null,
  provinceName: string | null,
  s: Sums,
): AvailabilityRow {
  const known = s.data;
  const down = s.fault + s.maintenance;
  const potential = s.energy + s.lostFault + s.lostMaintenance;
  return {
    level,
    turbine_id: turbineId,
    project,
    model,
    province: provinceName,
    turbines: s.turbines,
    period_hours: round(s.period, 2),
    data_hours: round(s.data, 2),
    unknown_hours: round(Math.max(0, s.period - s.data), 2),
    fault_hours: round(s.fault, 2),
    maintenance_hours: round(s.maintenance, 2),
    curtailed_hours: round(s.curtailed, 2),
    time_availability_pct: known > 0 ? round(100 * (1 - down / known), 2) : null,
    energy_mwh: round(s.energy, 3),
    lost_fault_mwh: round(s.lostFault, 3),
    lost_maintenance_mwh: round(s.lostMaintenance, 3),
    lost_curtailment_mwh: round(s.lostCurtailment, 3),
    production_availability_pct: potential > 0 ? round((100 * s.energy) / potential, 2) : null,
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
