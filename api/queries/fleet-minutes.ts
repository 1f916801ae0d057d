// The fleet's readings of a period summed per minute, as the live view's power history keeps
// them (api/live/history.ts): after a restart the history starts from the store, not empty.
// SQL dialects only (the embedded DuckDB file, Timestream); InfluxDB's history starts empty.
import { type QueryTarget, sqlEpochMs, sqlTimeRange } from "./sql.ts";

export interface FleetMinute {
  /** The minute's start, epoch ms. */
  start: number;
  powerSum: number;
  readings: number;
  turbines: number;
}

export function renderFleetMinutesQuery(
  target: QueryTarget,
  range: { from: number; to: number },
): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") throw new RangeError("fleet minutes are read with SQL only");
  const minute = dialect === "duckdb" ? "time_bucket(INTERVAL 1 minute, time)" : "bin(time, 1m)";
  return [
    `SELECT ${sqlEpochMs(dialect, minute)} AS start_ms, sum(power_kw) AS power_sum,`,
    "  count(*) AS readings, count(DISTINCT turbine_id) AS turbines",
    `FROM ${tableRef}`,
    `WHERE ${sqlTimeRange(dialect, range.from, range.to)}`,
    "GROUP BY 1 ORDER BY 1",
  ].join("\n");
}

export function fleetMinutesFrom(rows: ReadonlyArray<Record<string, unknown>>): FleetMinute[] {
  return rows.map((row) => ({
    start: Number(row.start_ms),
    powerSum: Number(row.power_sum),
    readings: Number(row.readings),
    turbines: Number(row.turbines),
  }));
}
