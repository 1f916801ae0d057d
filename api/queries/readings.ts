// Stored readings of one turbine (or of every turbine: the scheduled alarm evaluation) over a
// time range, in time order.
import { READING_FIELDS } from "../readings/fields.ts";
import { READING_STATUSES, type ReadingStatus } from "../readings/limits.ts";
import type { StoredReading } from "../readings/schema.ts";
import { renderInfluxReadingsQuery } from "./influxql.ts";
import type { QueryRow } from "./runner.ts";
import { type QueryTarget, sqlEpochMs, sqlString, sqlTime } from "./sql.ts";

export interface ReadingsQuery {
  /** Every turbine's readings when omitted. */
  turbineId?: string;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  limit: number;
}

export function renderReadingsQuery(target: QueryTarget, query: ReadingsQuery): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") return renderInfluxReadingsQuery(tableRef, query);
  // DuckDB keeps tags in one JSON column; Timestream answers each tag as its own column. Select
  // everything in both and let readingFromRow gather the tags.
  return [
    `SELECT *, ${sqlEpochMs(dialect, "time")} AS time_ms`,
    `FROM ${tableRef}`,
    `WHERE ${query.turbineId === undefined ? "" : `turbine_id = ${sqlString(query.turbineId)} AND `}time >= ${sqlTime(dialect, query.from)} AND time < ${sqlTime(dialect, query.to)}`,
    `ORDER BY time ASC`,
    `LIMIT ${Math.trunc(query.limit)}`,
  ].join("\n");
}

// Columns a store adds that are neither a reading's own, a measure nor a tag.
const STORE_COLUMNS = new Set(["time_ms", "measure_name", "turbine_key"]);

/**
 * A row of `SELECT *` as a reading: every other numeric column is a measure (a NULL is a measure
 * the reading did not send), every other string column a tag (Timestream's dimensions).
 */
export function readingFromRow(row: QueryRow): StoredReading {
  const tags: Record<string, string> = {};
  const measures: Record<string, number> = {};
  if (typeof row.tags === "string") Object.assign(tags, JSON.parse(row.tags));
  for (const [name, value] of Object.entries(row)) {
    const own = (READING_FIELDS as readonly string[]).includes(name) || STORE_COLUMNS.has(name);
    if (own) continue;
    if (typeof value === "string") tags[name] = value;
    else if (typeof value === "number") measures[name] = value;
  }
  const code = row.status_code;
  return {
    turbine_id: String(row.turbine_id),
    time: new Date(Number(row.time_ms)).toISOString(),
    power_kw: Number(row.power_kw),
    wind_speed_ms: Number(row.wind_speed_ms),
    status: READING_STATUSES.includes(row.status as ReadingStatus)
      ? (row.status as ReadingStatus)
      : null,
    status_code: code === null || code === undefined ? null : Number(code),
    version: Number(row.version ?? 1),
    measures,
    tags,
  };
}
