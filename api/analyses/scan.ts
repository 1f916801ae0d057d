// The readings of a period as the wind analyses need them: per turbine, its registry facts and its
// readings binned by status and normalised wind, with the time and energy each bin stands for
// (api/queries/scada.ts).
// Every analysis in this folder starts from one ScadaScan, so a report runs the scan once.
import {
  canNormaliseDensity,
  renderScadaBinsQuery,
  type ScadaRange,
  WIND_BIN_MS,
} from "../queries/scada.ts";
import { queryTarget } from "../queries/sql.ts";
import type { QueryDialect, QueryRow } from "../store/port.ts";

/** What the analyses need of a registered turbine (a subset of the registry's RegisteredTurbine). */
export interface TurbineFacts {
  turbine_id: string;
  project: string | null;
  model: string | null;
  rated_kw: number;
  tags: Record<string, string>;
}

/** The store as the analyses use it; measureColumns absent: no measures stored. */
export interface AnalysisSource {
  readonly kind: QueryDialect;
  readonly tableRef: string;
  select(sql: string): Promise<QueryRow[]>;
  measureColumns?(): Promise<ReadonlySet<string>>;
}

export interface WindBin {
  /** IEC 61400-12-1's bins, centred on multiples of 0.5 m/s: bin i covers [0.5 i - 0.25, 0.5 i + 0.25). */
  bin: number;
  n: number;
  powerSum: number;
  windSum: number;
  /** The time the bin's readings stand for (api/queries/scada.ts), hours. */
  hours: number;
  /** Their energy: each reading's power times its time, kWh. */
  energyKwh: number;
  /**
   * The same with power normalised to 1.225 kg/m3 (stall-regulated rows; the others' power is
   * as measured, their wind normalised): what power curves and references use.
   */
  energyNKwh: number;
}

/** What one turbine_id of the store is: a turbine, or a whole project reporting as one. */
export type RowUnit = "turbine" | "project";

export interface TurbineScan {
  turbine_id: string;
  facts: TurbineFacts | null;
  readings: number;
  /** The time all its readings stand for, hours. */
  dataHours: number;
  /** By status (producing, idle, curtailed, fault, maintenance, or "unknown" for none). */
  byStatus: Map<string, WindBin[]>;
}

export interface ScadaScan {
  range: ScadaRange;
  /** True when the wind was normalised to 1.225 kg/m3 (temperature and pressure stored). */
  densityNormalised: boolean;
  turbines: Map<string, TurbineScan>;
}

const HOUR = 3_600_000;

/**
 * A registry entry tagged `turbines` (the simulator's per-project mode registers each project so,
 * rated at the farm's total) is a project of that many turbines; any other entry is one turbine.
 */
export function rowUnit(facts: TurbineFacts | null | undefined): RowUnit {
  return facts?.tags.turbines !== undefined ? "project" : "turbine";
}

/** How many turbines one row stands for (the `turbines` tag, else 1). */
export function turbinesInRow(facts: TurbineFacts | null | undefined): number {
  const n = Number(facts?.tags.turbines);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** The rating of one turbine of the row: its rated power over its turbines. */
export function unitRatedKw(facts: TurbineFacts | null | undefined): number | null {
  const rated = facts?.rated_kw;
  if (rated === undefined || !Number.isFinite(rated) || rated <= 0) return null;
  return rated / turbinesInRow(facts);
}

/** What the rows of an answer are, in words, for the API and the report. */
export function describeRows(facts: readonly (TurbineFacts | null)[]): {
  row_unit: RowUnit | "mixed" | "none";
  row_unit_description: string;
} {
  const units = new Set(facts.map(rowUnit));
  if (units.size === 0) return { row_unit: "none", row_unit_description: "No rows." };
  if (units.size > 1) {
    return {
      row_unit: "mixed",
      row_unit_description:
        "Some turbine_ids are single turbines, others whole projects (registry tag `turbines`, rated at the farm's total); references are per kW of rated power, so both compare fairly.",
    };
  }
  return units.has("project")
    ? {
        row_unit: "project",
        row_unit_description:
          "Each turbine_id is a whole project: one reading is the farm's summed output, rated at the farm's total (registry tag `turbines`); references are per kW of rated power, scaled back by each project's rating.",
      }
    : {
        row_unit: "turbine",
        row_unit_description:
          "Each turbine_id is one turbine; references are per kW of rated power, scaled back by each turbine's rating.",
      };
}

/** Runs the scan's query on the store and joins the registry's facts. */
export async function scanReadings(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  range: ScadaRange,
): Promise<ScadaScan> {
  const measures = (await source.measureColumns?.()) ?? new Set<string>();
  const stall = turbines.filter(isStall).map((t) => t.turbine_id);
  const bins = await source.select(
    renderScadaBinsQuery(queryTarget(source), range, measures, stall),
  );
  return buildScan(range, canNormaliseDensity(measures), turbines, bins);
}

/** The scan from the query's rows (separate so that tests can feed rows by hand). */
export function buildScan(
  range: ScadaRange,
  densityNormalised: boolean,
  turbines: readonly TurbineFacts[],
  binRows: readonly QueryRow[],
): ScadaScan {
  const facts = new Map(turbines.map((t) => [t.turbine_id, t]));
  const scans = new Map<string, TurbineScan>();
  for (const row of binRows) {
    const id = String(row.turbine_id);
    let scan = scans.get(id);
    if (!scan) {
      scan = {
        turbine_id: id,
        facts: facts.get(id) ?? null,
        readings: 0,
        dataHours: 0,
        byStatus: new Map(),
      };
      scans.set(id, scan);
    }
    const status = row.status === null ? "unknown" : String(row.status);
    let list = scan.byStatus.get(status);
    if (!list) {
      list = [];
      scan.byStatus.set(status, list);
    }
    const bin: WindBin = {
      bin: Number(row.bin),
      n: Number(row.n),
      powerSum: Number(row.power_sum),
      windSum: Number(row.wind_sum),
      hours: Number(row.hours),
      energyKwh: Number(row.energy_kwh),
      energyNKwh: Number(row.energy_n_kwh ?? row.energy_kwh),
    };
    list.push(bin);
    scan.readings += bin.n;
    scan.dataHours += bin.hours;
  }
  return { range, densityNormalised, turbines: scans };
}

/** The centre of a wind bin, m/s: a multiple of 0.5. */
export function binCentre(bin: number): number {
  return bin * WIND_BIN_MS;
}

/**
 * A stall-regulated turbine (registry tag `control` = `stall`): IEC 61400-12-1 normalises its
 * power for air density, not its wind. Every other row is taken as pitch-regulated, as every
 * model of the simulated Dutch fleet is.
 */
export function isStall(facts: TurbineFacts | null | undefined): boolean {
  return facts?.tags.control === "stall";
}

export function hours(ms: number): number {
  return ms / HOUR;
}
