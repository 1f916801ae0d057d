// The wind analyses as the API, the notebook and the report call them: one function each, from
// the store and the registry's turbines to rows. Each runs the shared scan (scan.ts) on the
// store; `analyseAll` runs it once for all of them (the report).
import { renderHourlyScadaBinsQuery } from "../queries/scada.ts";
import { queryTarget } from "../queries/sql.ts";
import { renderYawBinsQuery, VANE_MEASURE } from "../queries/yaw.ts";
import { type AvailabilityRow, availability } from "./availability.ts";
import { type DeficitPeriod, deficitPeriods, hourBinsFromRows } from "./deficits.ts";
import { type EnergyRow, energyAndCapacityFactor } from "./energy.ts";
import { matches, type TurbineFilter } from "./filter.ts";
import { type PowerCurveBin, powerCurves } from "./power-curve.ts";
import { ReferenceCurves } from "./reference.ts";
import {
  type AnalysisSource,
  describeRows,
  isStall,
  scanReadings,
  type TurbineFacts,
} from "./scan.ts";
import { type UnderperformanceRow, underperformance } from "./underperformance.ts";
import { type YawMisalignmentRow, yawBinsFromRows, yawMisalignment } from "./yaw.ts";

export interface AnalysisQuery extends TurbineFilter {
  from: number;
  to: number;
  /** Energy's emissions avoided: kg CO2 per kWh of the grid (emissions.ts has the default). */
  gridEmissionFactorKgPerKwh?: number;
}

function range(query: AnalysisQuery) {
  return { from: query.from, to: query.to };
}

export async function powerCurveAnalysis(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  query: AnalysisQuery,
): Promise<PowerCurveBin[]> {
  return powerCurves(await scanReadings(source, turbines, range(query)), query);
}

export async function underperformanceAnalysis(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  query: AnalysisQuery,
): Promise<UnderperformanceRow[]> {
  return underperformance(await scanReadings(source, turbines, range(query)), query);
}

export async function availabilityAnalysis(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  query: AnalysisQuery,
): Promise<AvailabilityRow[]> {
  return availability(await scanReadings(source, turbines, range(query)), turbines, query);
}

export async function energyAnalysis(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  query: AnalysisQuery,
): Promise<EnergyRow[]> {
  return energyAndCapacityFactor(
    await scanReadings(source, turbines, range(query)),
    turbines,
    query.gridEmissionFactorKgPerKwh,
    query,
  );
}

/** An analysis the store cannot run (the InfluxDB store answers only the shared scan). */
export class UnsupportedOnStore extends Error {}

export async function deficitAnalysis(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  query: AnalysisQuery,
): Promise<DeficitPeriod[]> {
  if (source.kind === "influxdb") {
    throw new UnsupportedOnStore(
      "Deficit periods need hourly bins, which only the SQL stores (DuckDB, Timestream) compute: run the analysis against one of those.",
    );
  }
  const measures = (await source.measureColumns?.()) ?? new Set<string>();
  const stall = turbines.filter(isStall).map((t) => t.turbine_id);
  const rows = await source.select(
    renderHourlyScadaBinsQuery(queryTarget(source), range(query), measures, stall),
  );
  return deficitPeriods(hourBinsFromRows(rows), turbines, range(query), query);
}

export async function yawMisalignmentAnalysis(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  query: AnalysisQuery,
): Promise<YawMisalignmentRow[]> {
  if (source.kind === "influxdb") {
    throw new UnsupportedOnStore(
      "Yaw misalignment needs vane bins, which only the SQL stores (DuckDB, Timestream) compute: run the analysis against one of those.",
    );
  }
  const measures = (await source.measureColumns?.()) ?? new Set<string>();
  // No vane angle ever stored: nothing to estimate from (and no column to name).
  if (!measures.has(VANE_MEASURE)) return [];
  const stall = turbines.filter(isStall).map((t) => t.turbine_id);
  const rows = await source.select(
    renderYawBinsQuery(queryTarget(source), range(query), measures, stall),
  );
  return yawMisalignment(yawBinsFromRows(rows), turbines, query);
}

export interface WindAnalyses {
  densityNormalised: boolean;
  /** What a turbine_id of the rows is (a turbine, or a project reporting as one), in words. */
  rows: ReturnType<typeof describeRows>;
  powerCurves: PowerCurveBin[];
  underperformance: UnderperformanceRow[];
  availability: AvailabilityRow[];
  energy: EnergyRow[];
}

/** Every analysis over one scan of the period, for the report and `npm run analyze`. */
export async function analyseAll(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  query: AnalysisQuery,
): Promise<WindAnalyses> {
  const scan = await scanReadings(source, turbines, range(query));
  const reference = new ReferenceCurves(scan);
  return {
    densityNormalised: scan.densityNormalised,
    rows: describeRows(turbines.filter((t) => matches(query, t.turbine_id, t))),
    powerCurves: powerCurves(scan, query),
    underperformance: underperformance(scan, query, reference),
    availability: availability(scan, turbines, query, reference),
    energy: energyAndCapacityFactor(scan, turbines, query.gridEmissionFactorKgPerKwh, query),
  };
}
