// What the store knows of each turbine, for the registry's listing (GET /v1/turbines): the latest
// reading (every measure), its time and status, and how many readings came in the last 24 hours.
// One query for a given few turbines (a page of the listing) or all, rendered for each dialect;
// and the ids alone of the turbines that reported, for the listing to page before it asks.
import { renderInfluxSeenTurbinesQuery, renderInfluxTurbineStatusQuery } from "./influxql.ts";
import { type QueryTarget, sqlEpochMs, sqlString, sqlTime } from "./sql.ts";

/** How far back the listing looks for a turbine's latest reading (bounds the scan on Timestream). */
export const STATUS_LOOKBACK_MS = 30 * 86_400_000;
export const RECENT_MS = 86_400_000;

export interface TurbineStatusQuery {
  now: number;
  /** Only these turbines; all that reported within the lookback when omitted. */
  turbineIds?: readonly string[];
  /** How far back to look for the latest reading (default STATUS_LOOKBACK_MS). */
  lookbackMs?: number;
}

export function renderTurbineStatusQuery(target: QueryTarget, query: TurbineStatusQuery): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") {
    return renderInfluxTurbineStatusQuery(tableRef, {
      since: query.now - (query.lookbackMs ?? STATUS_LOOKBACK_MS),
      recent: query.now - RECENT_MS,
      ...(query.turbineIds ? { turbineIds: query.turbineIds } : {}),
    });
  }
  const since = sqlTime(dialect, query.now - (query.lookbackMs ?? STATUS_LOOKBACK_MS));
  const recent = sqlTime(dialect, query.now - RECENT_MS);
  const only =
    query.turbineIds === undefined
      ? ""
      : ` AND turbine_id IN (${query.turbineIds.length ? query.turbineIds.map(sqlString).join(", ") : "''"})`;
  return [
    "WITH latest AS (",
    "  SELECT turbine_id AS latest_id, max(time) AS latest_time,",
    `    sum(CASE WHEN time >= ${recent} THEN 1 ELSE 0 END) AS readings_24h`,
    `  FROM ${tableRef}`,
    `  WHERE time >= ${since}${only}`,
    "  GROUP BY turbine_id",
    ")",
    `SELECT r.*, ${sqlEpochMs(dialect, "r.time")} AS time_ms, l.readings_24h`,
    `FROM ${tableRef} r JOIN latest l ON r.turbine_id = l.latest_id AND r.time = l.latest_time`,
    `WHERE r.time >= ${since}`,
  ].join("\n");
}

/**
 * The turbine_id of every turbine with a reading within the lookback (`after`: only ids after
 * it), one row each, in no order: cheap beside the status query, which reads every measure.
 */
export function renderSeenTurbinesQuery(
  target: QueryTarget,
  query: { now: number; after?: string },
): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") {
    return renderInfluxSeenTurbinesQuery(tableRef, query.now - STATUS_LOOKBACK_MS);
  }
  const after = query.after === undefined ? "" : ` AND turbine_id > ${sqlString(query.after)}`;
  return `SELECT DISTINCT turbine_id FROM ${tableRef} WHERE time >= ${sqlTime(dialect, query.now - STATUS_LOOKBACK_MS)}${after}`;
}
