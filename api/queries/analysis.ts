// The analysis queries beyond power bins (power.ts): per turbine (a project's farm output),
// the empirical power curve, and data completeness. Each renders for DuckDB and Timestream, and
// for InfluxDB through influxql.ts.
import {
  renderInfluxCompletenessQuery,
  renderInfluxDataExtentQuery,
  renderInfluxPowerCurveQuery,
  renderInfluxTurbineSummaryQuery,
} from "./influxql.ts";
import {
  type QueryTarget,
  sqlEpochMs,
  sqlMedian,
  sqlReadingsWith,
  sqlTimeRange,
  sqlTurbineField,
} from "./sql.ts";

export interface TimeRange {
  from: number;
  to: number;
}

/** Per turbine: what the registry says of it, how many readings, and its mean power. */
export function renderTurbineSummaryQuery(target: QueryTarget, range: TimeRange): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") return renderInfluxTurbineSummaryQuery(tableRef, range);
  // What the registry says of each turbine, under the analysis's column names.
  const fields: [string, string][] = [
    ["project", "project"],
    ["municipality", "municipality"],
    ["province", "province"],
    ["model", "model"],
    ["rated_kw", "rated_kw"],
    ["latitude", "lat"],
    ["longitude", "lon"],
  ];
  const columns = fields.map(([field, as]) => `max(${sqlTurbineField(dialect, field)}) AS ${as}`);
  return [
    "SELECT turbine_id,",
    `  ${columns.join(", ")},`,
    "  count(*) AS readings, avg(power_kw) AS mean_kw",
    `FROM ${sqlReadingsWith(
      target,
      fields.map(([field]) => field),
    )}`,
    `WHERE ${sqlTimeRange(dialect, range.from, range.to)}`,
    "GROUP BY turbine_id",
    "ORDER BY turbine_id",
  ].join("\n");
}

/**
 * Mean output per unit of rated power, by 1 m/s wind-speed bin, over producing readings. Summed
 * per turbine and bin first, so that the rated power is read once per group, not per reading.
 */
export function renderPowerCurveQuery(target: QueryTarget, range: TimeRange): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") return renderInfluxPowerCurveQuery(tableRef, range);
  return [
    "WITH per_turbine AS (",
    "  SELECT turbine_id, floor(wind_speed_ms) + 0.5 AS wind_ms, sum(power_kw) AS kw, count(*) AS n,",
    `    max(${sqlTurbineField(dialect, "rated_kw")}) AS rated_kw`,
    `  FROM ${sqlReadingsWith(target, ["rated_kw"])}`,
    `  WHERE ${sqlTimeRange(dialect, range.from, range.to)} AND status = 'producing'`,
    "  GROUP BY 1, 2",
    ")",
    "SELECT wind_ms, sum(kw / rated_kw) / sum(n) AS per_unit, sum(n) AS readings",
    "FROM per_turbine",
    "WHERE rated_kw > 0",
    "GROUP BY 1",
    "ORDER BY 1",
  ].join("\n");
}

/**
 * Per turbine: its usual reporting interval (the median step between readings), and the gaps,
 * steps longer than twice that interval, with the time they lost. The range's start and end count
 * as steps too, so a turbine that fell silent before the end of the range shows that gap.
 */
export function renderCompletenessQuery(target: QueryTarget, range: TimeRange): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") return renderInfluxCompletenessQuery(tableRef, range);
  const ms = sqlEpochMs(dialect, "time");
  const [from, to] = [range.from, range.to].map(integer);
  return [
    "WITH steps AS (",
    `  SELECT turbine_id, ${ms} AS at_ms, ${ms} - lag(${ms}) OVER (PARTITION BY turbine_id ORDER BY time) AS step_ms`,
    `  FROM ${tableRef}`,
    `  WHERE ${sqlTimeRange(dialect, range.from, range.to)}`,
    "), usual AS (",
    `  SELECT turbine_id, ${sqlMedian(dialect, "step_ms")} AS interval_ms, count(*) AS readings,`,
    "    min(at_ms) AS first_ms, max(at_ms) AS last_ms",
    "  FROM steps GROUP BY turbine_id",
    "), all_steps AS (",
    "  SELECT turbine_id, step_ms FROM steps",
    `  UNION ALL SELECT turbine_id, first_ms - ${from} FROM usual`,
    `  UNION ALL SELECT turbine_id, ${to} - last_ms FROM usual`,
    ")",
    "SELECT u.turbine_id, u.readings, u.interval_ms,",
    "  sum(CASE WHEN s.step_ms > 2 * u.interval_ms THEN 1 ELSE 0 END) AS gaps,",
    "  sum(CASE WHEN s.step_ms > 2 * u.interval_ms THEN s.step_ms - u.interval_ms ELSE 0 END) AS gap_ms",
    "FROM usual u JOIN all_steps s ON s.turbine_id = u.turbine_id",
    "GROUP BY u.turbine_id, u.readings, u.interval_ms",
    "ORDER BY u.turbine_id",
  ].join("\n");
}

function integer(value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a time in milliseconds: ${value}`);
  return value;
}

/** The first and last reading's time: where "the last 24 hours of data" ends. */
export function renderDataExtentQuery(target: QueryTarget): string {
  if (target.dialect === "influxdb") return renderInfluxDataExtentQuery(target.tableRef);
  const ms = sqlEpochMs(target.dialect, "time");
  return `SELECT min(${ms}) AS first_ms, max(${ms}) AS last_ms, count(*) AS readings FROM ${target.tableRef}`;
}
