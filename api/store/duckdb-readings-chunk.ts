// Readings as the columnar data chunks that DuckDB's appender takes into reading_rows
// (api/store/duckdb-readings-table.ts). This is the per-reading CPU cost of the embedded store's
// writes, so each column is written the cheapest way node-api allows:
//   - status goes in as an ENUM of the reading statuses, one byte a reading, the column's own
//     type (a file that keeps a text column gets it cast by the appender in C++): node-api
//     writes a VARCHAR with one native call a string, and keeps every string in a JS array;
//   - numbers, times and NULLs are copied into the vectors a column at a time, without a BigInt
//     or an object a reading (duckdb-vector-writes.ts); only the tags text goes item by item;
//   - the chunks and their vectors are reused from one write to the next: creating them costs
//     as much as filling them for a batch of 500.
import {
  BIGINT,
  DOUBLE,
  DuckDBDataChunk,
  type DuckDBType,
  ENUM8,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
} from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import { READING_STATUSES, type ReadingStatus } from "../readings/limits.ts";
import {
  writeAllNull,
  writeAllValid,
  writeBigInts,
  writeDoubles,
  writeEnum8,
  writeIntegers,
  writeTimes,
} from "./duckdb-vector-writes.ts";
import type { Reading } from "./port.ts";

/**
 * reading_rows' columns before the measures, in table order, with the types a chunk gives them
 * (the appender casts each to its column's type where they differ: only a text status column,
 * kept by a file that holds statuses gust never wrote, does).
 */
export const BASE_COLUMNS: readonly [string, DuckDBType][] = [
  ["turbine_key", INTEGER],
  ["time", TIMESTAMP],
  ["power_kw", DOUBLE],
  ["wind_speed_ms", DOUBLE],
  ["status", ENUM8(READING_STATUSES)],
  ["status_code", INTEGER],
  ["version", BIGINT],
  ["tags", VARCHAR],
];
/** A data chunk holds at most DuckDB's vector size of rows. */
export const CHUNK_ROWS = 2048;

/**
 * Chunks of readings in reading_rows' column order, reused: one of CHUNK_ROWS rows and one for
 * the rest of a write, both until the measure columns change. Each call rewrites every item of
 * every column (value or NULL), so nothing of an earlier use shows; a chunk is valid until the
 * next call, so append it before asking for the next (the appender copies it). With no await
 * between filling and appending, writes that interleave at their awaits cannot mix rows.
 */
export class ReadingsChunks {
  private measureCount = -1;
  private types: DuckDBType[] = [];
  private full: DuckDBDataChunk | undefined;
  private rest: DuckDBDataChunk | undefined;

  /** Readings `from` .. `to`-1 (at most CHUNK_ROWS) with the given measure columns. */
  chunk(
    readings: readonly Reading[],
    from: number,
    to: number,
    keyOf: (turbineId: string) => number,
    measures: readonly string[],
  ): DuckDBDataChunk {
    // Measure columns are all DOUBLE, after the base ones: their count is all the types depend on.
    if (measures.length !== this.measureCount) {
      this.measureCount = measures.length;
      this.types = [...BASE_COLUMNS.map(([, type]) => type), ...measures.map(() => DOUBLE)];
      this.full = this.rest = undefined;
    }
    const n = to - from;
    const chunk = n === CHUNK_ROWS ? this.fullChunk() : this.restChunk(n);
    fillChunk(chunk, readings, from, n, keyOf, measures);
    return chunk;
  }

  private fullChunk(): DuckDBDataChunk {
    this.full ??= DuckDBDataChunk.create(this.types, CHUNK_ROWS);
    return this.full;
  }

  /** Resized only when the size changes. */
  private restChunk(n: number): DuckDBDataChunk {
    this.rest ??= DuckDBDataChunk.create(this.types, n);
    if (this.rest.rowCount !== n) this.rest.rowCount = n;
    return this.rest;
  }
}

/** Each reading status's index in the status column's ENUM. */
const STATUS_INDEX = Object.fromEntries(READING_STATUSES.map((status, i) => [status, i])) as Record<
  ReadingStatus,
  number
>;

/**
 * Writes readings `from` .. `from`+`n`-1 into `chunk`, one column at a time, each copied into its
 * vector at once (duckdb-vector-writes.ts), so a measure costs one keyed read and one typed-array
 * store a reading.
 */
function fillChunk(
  chunk: DuckDBDataChunk,
  readings: readonly Reading[],
  from: number,
  n: number,
  keyOf: (turbineId: string) => number,
  measures: readonly string[],
): void {
  const at = (i: number) => readings[from + i] as Reading;
  const vector = (column: number) => duckdb.data_chunk_get_vector(chunk.chunk, column);
  writeIntegers(vector(0), n, (i) => keyOf(at(i).turbine_id));
  writeTimes(vector(1), n, (i) => at(i).time);
  writeDoubles(vector(2), n, (i) => at(i).power_kw);
  writeDoubles(vector(3), n, (i) => at(i).wind_speed_ms);
  writeEnum8(vector(4), n, STATUS_INDEX, (i) => at(i).status);
  writeIntegers(vector(5), n, (i) => at(i).status_code);
  writeBigInts(vector(6), n, (i) => at(i).version);
  if (allMissing(n, (i) => isEmpty(at(i).tags))) writeAllNull(vector(7), n);
  else {
    // Text goes through node-api's vector, item by item; its flush() writes the mask only once
    // the vector has held a NULL, so the mask of an all-NULL write before is cleared first.
    writeAllValid(vector(7), n);
    const tags = chunk.getColumnVector(7);
    for (let i = 0; i < n; i++) tags.setItem(i, tagsText(at(i).tags));
    tags.flush();
  }
  // Once any reading has brought a measure, every row has its column. Readings without measures
  // (plain ones, or a fleet's turbines that send none) leave them NULL without a keyed read of
  // each name in each reading, which would cost a plain reading a third more in a table with 20
  // measure columns.
  const noMeasures = allMissing(n, (i) => isEmpty(at(i).measures));
  for (let m = 0; m < measures.length; m++) {
    const name = measures[m] as string;
    const column = vector(BASE_COLUMNS.length + m);
    if (noMeasures) writeAllNull(column, n);
    // Own names only: a reading without a measure named `constructor` would read its prototype's.
    else writeDoubles(column, n, (i) => ownMeasure(at(i).measures, name));
  }
}

function allMissing(n: number, missing: (i: number) => boolean): boolean {
  for (let i = 0; i < n; i++) if (!missing(i)) return false;
  return true;
}

/** The reading's own value of a measure: Object.prototype's `constructor` is not a number. */
function ownMeasure(measures: Record<string, number>, name: string): number | undefined {
  const value = measures[name];
  return typeof value === "number" ? value : undefined;
}

function isEmpty(record: Record<string, unknown>): boolean {
  for (const _ in record) return false;
  return true;
}

function tagsText(tags: Record<string, string>): string | null {
  for (const _ in tags) return JSON.stringify(tags);
  return null;
}
