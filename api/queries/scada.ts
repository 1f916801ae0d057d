// The one scan of stored readings the wind analyses (api/analyses) share: per turbine, status
// and 0.5 m/s bin of air-density-normalised wind speed, how many readings, their power and wind
// summed; and per turbine, how many readings and its reporting interval. The same text serves
// DuckDB and Timestream (only the table and the time literals differ); InfluxDB gets InfluxQL
// that fetches the readings, binned in influxql.ts. The registry facts (model, rated power,
// project) join in TypeScript, so no store needs the registry in SQL.
import { renderInfluxReadingIntervalQuery, renderInfluxScadaBinsQuery } from "./influxql.ts";
import { type QueryTarget, sqlEpochMs, sqlTimeRange } from "./sql.ts";

export const WIND_BIN_MS = 0.5;
export const REFERENCE_AIR_DENSITY = 1.225;
/** R of dry air, J/(kg K). */
const GAS_CONSTANT_DRY_AIR = 287.05;
export const DENSITY_MEASURES = ["ambient_temperature_c", "ambient_pressure_hpa"] as const;

export interface ScadaRange {
  from: number;
  to: number;
}

/** True when the store holds both measures the density normalisation needs. */
export function canNormaliseDensity(measureColumns: ReadonlySet<string>): boolean {
  return DENSITY_MEASURES.every((name) => measureColumns.has(name));
}

/**
 * Wind speed normalised to 1.225 kg/m3 (IEC 61400-12-1, pitch-regulated turbines):
 * v_n = v (rho / 1.225)^(1/3), rho = p / (R T). A reading without temperature or pressure keeps
 * its measured wind; a store that never stored them is not asked for them (no such column).
 */
export function sqlNormalisedWind(measureColumns: ReadonlySet<string>): string {
  if (!canNormaliseDensity(measureColumns)) return "wind_speed_ms";
  const density = `(ambient_pressure_hpa * 100 / (${GAS_CONSTANT_DRY_AIR} * (ambient_temperature_c + 273.15)))`;
  return `wind_speed_ms * coalesce(cbrt(${density} / ${REFERENCE_AIR_DENSITY}), 1.0)`;
}

export function renderScadaBinsQuery(
  target: QueryTarget,
  range: ScadaRange,
  measureColumns: ReadonlySet<string>,
): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") {
    const normalise = canNormaliseDensity(measureColumns)
      ? {
          densityMeasures: DENSITY_MEASURES,
          binMs: WIND_BIN_MS,
          gasConstant: GAS_CONSTANT_DRY_AIR,
          referenceDensity: REFERENCE_AIR_DENSITY,
        }
      : null;
    return renderInfluxScadaBinsQuery(tableRef, range, normalise, WIND_BIN_MS);
  }
  return [
    `SELECT turbine_id, status, CAST(floor(v_n / ${WIND_BIN_MS}) AS BIGINT) AS bin,`,
    "  count(*) AS n, sum(power_kw) AS power_sum, sum(v_n) AS wind_sum",
    "FROM (",
    `  SELECT turbine_id, status, power_kw, ${sqlNormalisedWind(measureColumns)} AS v_n`,
    `  FROM ${tableRef}`,
    `  WHERE ${sqlTimeRange(dialect, range.from, range.to)}`,
    ") AS r",
    `GROUP BY turbine_id, status, CAST(floor(v_n / ${WIND_BIN_MS}) AS BIGINT)`,
  ].join("\n");
}

/**
 * Per turbine: its readings, and its reporting interval: the shortest mean step of any day it
 * reported at least twice, (last - first) / (readings - 1) within the day. A day with a gap has a
 * longer mean step, so one gap-free day is enough to find the interval; a count of distinct hours
 * would say the same at several times the cost.
 */
export function renderReadingIntervalQuery(target: QueryTarget, range: ScadaRange): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") return renderInfluxReadingIntervalQuery(tableRef, range);
  const ms = sqlEpochMs(dialect, "time");
  return [
    "SELECT turbine_id, sum(n) AS readings,",
    "  min(CASE WHEN n > 1 THEN (last_ms - first_ms) / (n - 1) END) AS interval_ms",
    "FROM (",
    `  SELECT turbine_id, floor(${ms} / 86400000) AS day, count(*) AS n, min(${ms}) AS first_ms, max(${ms}) AS last_ms`,
    `  FROM ${tableRef}`,
    `  WHERE ${sqlTimeRange(dialect, range.from, range.to)}`,
    "  GROUP BY 1, 2",
    ") AS d",
    "GROUP BY turbine_id",
  ].join("\n");
}
