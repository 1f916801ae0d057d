// The raw readings of a period, every turbine, for GET /v1/readings/export: a count (the export
// is bounded) and pages in (time, turbine_id) order, each page continuing after the last row of
// the one before (keyset paging: no OFFSET, which Timestream does not have).
import { READING_COLUMNS } from "../readings/fields.ts";
import { type QueryTarget, sqlEpochMs, sqlString, sqlTime, sqlTimeRange } from "./sql.ts";

const MEASURE_COLUMN = /^[a-z][a-z0-9_]{0,59}$/;
export const EXPORT_BASE_COLUMNS = READING_COLUMNS;

export interface ExportRange {
  from: number;
  to: number;
}

export function renderExportCountQuery(target: QueryTarget, range: ExportRange): string {
  return `SELECT count(*) AS n FROM ${target.tableRef} WHERE ${sqlTimeRange(target.dialect, range.from, range.to)}`;
}

export function renderExportPageQuery(
  target: QueryTarget,
  range: ExportRange,
  measures: readonly string[],
  limit: number,
  after?: { time: number; turbineId: string },
): string {
  const { dialect, tableRef } = target;
  for (const m of measures) {
    if (!MEASURE_COLUMN.test(m)) throw new RangeError(`not a measure name: ${m}`);
  }
  const continuing = after
    ? `  AND (time > ${sqlTime(dialect, after.time)} OR (time = ${sqlTime(dialect, after.time)} AND turbine_id > ${sqlString(after.turbineId)}))`
    : "";
  return [
    `SELECT turbine_id, ${sqlEpochMs(dialect, "time")} AS time_ms, power_kw, wind_speed_ms, status, status_code, version${measures.map((m) => `, ${m}`).join("")}`,
    `FROM ${tableRef}`,
    `WHERE ${sqlTimeRange(dialect, range.from, range.to)}`,
    continuing,
    "ORDER BY time, turbine_id",
    `LIMIT ${Math.trunc(limit)}`,
  ]
    .filter(Boolean)
    .join("\n");
}
