// The raw readings of a period, every turbine, for GET /v1/readings/export: a count (the export
// is bounded) and pages in (time, turbine_id) order. SQL stores page by keyset, each page
// continuing after the last row of the one before (no OFFSET, which Timestream does not have).
// InfluxQL can order only by time and compare tags only for equality, so on InfluxDB a page is
// the readings from a time on, and ends on a whole timestamp (influxql.ts renders and sorts it).
import { READING_COLUMNS } from "../readings/fields.ts";
import { renderInfluxExportCountQuery, renderInfluxExportPageQuery } from "./influxql.ts";
import type { QueryRow, QueryRunner } from "./runner.ts";
import {
  type QueryTarget,
  queryTarget,
  sqlEpochMs,
  sqlString,
  sqlTime,
  sqlTimeRange,
} from "./sql.ts";

const MEASURE_COLUMN = /^[a-z][a-z0-9_]{0,59}$/;
export const EXPORT_BASE_COLUMNS = READING_COLUMNS;

export interface ExportRange {
  from: number;
  to: number;
}

export function renderExportCountQuery(target: QueryTarget, range: ExportRange): string {
  if (target.dialect === "influxdb") return renderInfluxExportCountQuery(target.tableRef, range);
  return `SELECT count(*) AS n FROM ${target.tableRef} WHERE ${sqlTimeRange(target.dialect, range.from, range.to)}`;
}

/** SQL stores: the rows after `after` in (time, turbine_id) order, at most `limit`. */
export function renderExportPageQuery(
  target: QueryTarget,
  range: ExportRange,
  measures: readonly string[],
  limit: number,
  after?: { time: number; turbineId: string },
): string {
  const { dialect, tableRef } = target;
  checkMeasures(measures);
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

export function checkMeasures(measures: readonly string[]): void {
  for (const m of measures) {
    if (!MEASURE_COLUMN.test(m)) throw new RangeError(`not a measure name: ${m}`);
  }
}

/**
 * Every reading of the range as pages of about `pageSize` rows (turbine_id, time_ms, the reading's
 * fields, the measures), in (time, turbine_id) order on every store; one page is held at a time.
 */
export async function* exportPages(
  store: Pick<QueryRunner, "kind" | "tableRef" | "select">,
  range: ExportRange,
  measures: readonly string[],
  pageSize: number,
): AsyncGenerator<QueryRow[]> {
  const target = queryTarget(store);
  if (target.dialect === "influxdb") {
    yield* influxPages(store, range, measures, pageSize);
    return;
  }
  let after: { time: number; turbineId: string } | undefined;
  for (;;) {
    const rows = await store.select(
      renderExportPageQuery(target, range, measures, pageSize, after),
    );
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1] as QueryRow;
    after = { time: Number(last.time_ms), turbineId: String(last.turbine_id) };
  }
}

/**
 * From a time on, `pageSize` readings; a full page may have cut its last timestamp short, so its
 * readings at that time are left to the next page, which starts there. A timestamp holding a
 * whole page or more (a fleet larger than a page, all at one instant) is read on its own.
 */
async function* influxPages(
  store: Pick<QueryRunner, "tableRef" | "select">,
  range: ExportRange,
  measures: readonly string[],
  pageSize: number,
): AsyncGenerator<QueryRow[]> {
  let from = range.from;
  while (from < range.to) {
    const rows = await store.select(
      renderInfluxExportPageQuery(store.tableRef, { from, to: range.to }, measures, pageSize),
    );
    if (rows.length < pageSize) {
      if (rows.length > 0) yield rows;
      return;
    }
    const last = Number((rows[rows.length - 1] as QueryRow).time_ms);
    const whole = rows.filter((row) => Number(row.time_ms) < last);
    if (whole.length > 0) {
      yield whole;
      from = last;
    } else {
      // Readings are stored to the millisecond: [last, last + 1) is that one timestamp.
      yield await store.select(
        renderInfluxExportPageQuery(store.tableRef, { from: last, to: last + 1 }, measures),
      );
      from = last + 1;
    }
  }
}
