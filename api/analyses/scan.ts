// The readings of a period as the wind analyses need them: per turbine, its registry facts, its
// reporting interval, and its readings binned by status and normalised wind (api/queries/scada.ts).
// Every analysis in this folder starts from one ScadaScan, so a report runs the scan once.
import {
  canNormaliseDensity,
  renderReadingIntervalQuery,
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
  /** floor(v_n / 0.5): bin i covers [0.5 i, 0.5 (i + 1)) m/s. */
  bin: number;
  n: number;
  powerSum: number;
  windSum: number;
}

export interface TurbineScan {
  turbine_id: string;
  facts: TurbineFacts | null;
  readings: number;
  /** Duration one reading stands for: the turbine's reporting interval (api/queries/scada.ts). */
  intervalMs: number;
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
const DAY = 24 * HOUR;

/** Runs the scan's two queries on the store and joins the registry's facts. */
export async function scanReadings(
  source: AnalysisSource,
  turbines: readonly TurbineFacts[],
  range: ScadaRange,
): Promise<ScadaScan> {
  const measures = (await source.measureColumns?.()) ?? new Set<string>();
  const target = queryTarget(source);
  const [bins, intervals] = await Promise.all([
    source.select(renderScadaBinsQuery(target, range, measures)),
    source.select(renderReadingIntervalQuery(target, range)),
  ]);
  return buildScan(range, canNormaliseDensity(measures), turbines, bins, intervals);
}

/** The scan from the two queries' rows (separate so that tests can feed rows by hand). */
export function buildScan(
  range: ScadaRange,
  densityNormalised: boolean,
  turbines: readonly TurbineFacts[],
  binRows: readonly QueryRow[],
  intervalRows: readonly QueryRow[],
): ScadaScan {
  const facts = new Map(turbines.map((t) => [t.turbine_id, t]));
  const scans = new Map<string, TurbineScan>();
  for (const row of intervalRows) {
    const id = String(row.turbine_id);
    const readings = Number(row.readings);
    scans.set(id, {
      turbine_id: id,
      facts: facts.get(id) ?? null,
      readings,
      // Never more than once a day: a day is as long as one reading may stand for.
      intervalMs: row.interval_ms === null ? DAY : Math.min(DAY, Number(row.interval_ms)),
      byStatus: new Map(),
    });
  }
  for (const row of binRows) {
    const scan = scans.get(String(row.turbine_id));
    if (!scan) continue;
    const status = row.status === null ? "unknown" : String(row.status);
    let list = scan.byStatus.get(status);
    if (!list) {
      list = [];
      scan.byStatus.set(status, list);
    }
    list.push({
      bin: Number(row.bin),
      n: Number(row.n),
      powerSum: Number(row.power_sum),
      windSum: Number(row.wind_sum),
    });
  }
  return { range, densityNormalised, turbines: scans };
}

/** The centre of a wind bin, m/s. */
export function binCentre(bin: number): number {
  return (bin + 0.5) * WIND_BIN_MS;
}

export function hours(ms: number): number {
  return ms / HOUR;
}
