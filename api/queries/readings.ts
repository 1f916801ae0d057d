// Stored readings of one turbine over a time range, in time order.
import {
  READING_FIELDS,
  READING_STATUSES,
  type ReadingStatus,
  type StoredReading,
} from "../readings/schema.ts";
import type { QueryRow } from "../store/port.ts";
import { renderInfluxReadingsQuery } from "./influxql.ts";
import { type QueryTarget, sqlEpochMs, sqlString, sqlTime } from "./sql.ts";

export interface ReadingsQuery {
  turbineId: string;
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
    `WHERE turbine_id = ${sqlString(query.turbineId)}`,
    `  AND time >= ${sqlTime(dialect, query.from)} AND time < ${sqlTime(dialect, query.to)}`,
    `ORDER BY time ASC`,
    `LIMIT ${Math.trunc(query.limit)}`,
  ].join("\n");
}

// Columns a store adds that are neither a reading's own nor a tag.
const STORE_COLUMNS = new Set(["time_ms", "measure_name"]);

export function readingFromRow(row: QueryRow): StoredReading {
  const tags: Record<string, string> = {};
  if (typeof row.tags === "string") Object.assign(tags, JSON.parse(row.tags));
  for (const [name, value] of Object.entries(row)) {
    const own = (READING_FIELDS as readonly string[]).includes(name) || STORE_COLUMNS.has(name);
    if (!own && typeof value === "string") tags[name] = value;
  }
  return {
    turbine_id: String(row.turbine_id),
    time: new Date(Number(row.time_ms)).toISOString(),
    power_kw: Number(row.power_kw),
    wind_speed_ms: Number(row.wind_speed_ms),
    status: READING_STATUSES.includes(row.status as ReadingStatus)
      ? (row.status as ReadingStatus)
      : null,
    version: Number(row.version ?? 1),
    tags,
  };
}
