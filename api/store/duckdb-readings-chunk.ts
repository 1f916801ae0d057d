// Readings as the columnar data chunks that DuckDB's appender takes into reading_rows
// (api/store/duckdb-readings-table.ts). This is the per-reading CPU cost of the embedded store's
// writes, so each column is written the cheapest way node-api allows:
//   - status goes in as an ENUM of the reading statuses, one byte a reading, and the appender
//     casts it to the table's VARCHAR in C++: node-api writes a VARCHAR with one native call a
//     string, and keeps every string in a JS array until then;
//   - time is written as two 32-bit halves of its int64, not as a BigInt and a
//     DuckDBTimestampValue a reading (see writeTimes);
//   - a column NULL throughout a chunk is cleared in one fill (see setAllNull);
//   - every full chunk of one apply reuses one DuckDBDataChunk and its vectors.
import { endianness } from "node:os";
import {
  BIGINT,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBTimestampValue,
  type DuckDBType,
  type DuckDBVector,
  ENUM8,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
} from "@duckdb/node-api";
import { READING_STATUSES } from "../readings/limits.ts";
import type { Reading } from "./port.ts";

/**
 * reading_rows' columns before the measures, in table order, with the types a chunk gives them
 * (the appender casts each to its column's type where they differ: only status does).
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
/** Nearly every reading is version 1: one BigInt for all of them. */
const FIRST_VERSION = 1n;

/**
 * The chunks of one apply: readings `from` .. `to`-1 at a time, in reading_rows' column order
 * with the given measure columns. A chunk is only valid until the next call (full chunks share
 * one DuckDBDataChunk), so append each before asking for the next.
 */
export class ReadingsChunks {
  private readonly types: DuckDBType[];
  private full: DuckDBDataChunk | undefined;

  constructor(
    private readonly measures: readonly string[],
    private readonly keyOf: (turbineId: string) => number,
  ) {
    this.types = [...BASE_COLUMNS.map(([, type]) => type), ...measures.map(() => DOUBLE)];
  }

  chunk(readings: readonly Reading[], from: number, to: number): DuckDBDataChunk {
    const n = to - from;
    const chunk = n === CHUNK_ROWS ? this.fullChunk() : DuckDBDataChunk.create(this.types, n);
    fillChunk(chunk, readings, from, n, this.keyOf, this.measures);
    return chunk;
  }

  /** Reused: every item of every column is written again, values and NULLs alike. */
  private fullChunk(): DuckDBDataChunk {
    this.full ??= DuckDBDataChunk.create(this.types, CHUNK_ROWS);
    return this.full;
  }
}

/**
 * Writes readings `from` .. `from`+`n`-1 into `chunk`. Each column is written straight into its
 * vector by a loop of its own (no array of values in between, and each loop's setItem sees one
 * vector type, which the JIT inlines), so a measure costs one keyed read and one typed-array
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
  const keys = chunk.getColumnVector(0);
  for (let i = 0; i < n; i++) keys.setItem(i, keyOf(at(i).turbine_id));
  const times = chunk.getColumnVector(1);
  writeTimes(times, n, (i) => at(i).time);
  const power = chunk.getColumnVector(2);
  for (let i = 0; i < n; i++) power.setItem(i, at(i).power_kw);
  const wind = chunk.getColumnVector(3);
  for (let i = 0; i < n; i++) wind.setItem(i, at(i).wind_speed_ms);
  const status = chunk.getColumnVector(4);
  for (let i = 0; i < n; i++) status.setItem(i, at(i).status);
  const codes = chunk.getColumnVector(5);
  if (allMissing(n, (i) => at(i).status_code === null)) setAllNull(codes, n);
  else for (let i = 0; i < n; i++) codes.setItem(i, at(i).status_code);
  const versions = chunk.getColumnVector(6);
  for (let i = 0; i < n; i++) {
    const version = at(i).version;
    versions.setItem(i, version === 1 ? FIRST_VERSION : BigInt(version));
  }
  const tags = chunk.getColumnVector(7);
  if (allMissing(n, (i) => isEmpty(at(i).tags))) setAllNull(tags, n);
  else for (let i = 0; i < n; i++) tags.setItem(i, tagsText(at(i).tags));
  for (let m = 0; m < measures.length; m++) {
    const name = measures[m] as string;
    const values = chunk.getColumnVector(BASE_COLUMNS.length + m);
    if (allMissing(n, (i) => at(i).measures[name] === undefined)) setAllNull(values, n);
    else for (let i = 0; i < n; i++) values.setItem(i, at(i).measures[name] ?? null);
    values.flush();
  }
  for (const vector of [keys, times, power, wind, status, codes, versions, tags]) vector.flush();
}

/** Which 32-bit word of an int64 holds its low half, in this machine's byte order. */
const LOW_WORD = endianness() === "LE" ? 0 : 1;
const WORD = 2 ** 32;

/**
 * Writes epoch-millisecond times into a TIMESTAMP vector as DuckDB's microseconds. Through the
 * API each item is a BigInt product and a DuckDBTimestampValue: allocations a reading that the
 * garbage collector then pays for again. node-api 1.5 keeps the items it copies to DuckDB on
 * flush as `items`, a BigInt64Array: the int64 goes there as two 32-bit words computed in
 * doubles (exact below 2^53 µs, the year 2255). Where the vector has no such array, or a time
 * is out of that range, the item goes through the API.
 */
export function writeTimes(vector: DuckDBVector, n: number, timeAt: (i: number) => number): void {
  const items = (vector as unknown as { items?: unknown }).items;
  if (!(items instanceof BigInt64Array) || items.length < n) {
    for (let i = 0; i < n; i++) vector.setItem(i, timestampOf(timeAt(i)));
    return;
  }
  const words = new Uint32Array(items.buffer, items.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const micros = timeAt(i) * 1000;
    if (!Number.isSafeInteger(micros)) {
      vector.setItem(i, timestampOf(timeAt(i)));
      continue;
    }
    const high = Math.floor(micros / WORD);
    // Uint32Array stores the two's complement of a negative high word, as int64 wants.
    words[2 * i + LOW_WORD] = micros - high * WORD;
    words[2 * i + 1 - LOW_WORD] = high;
  }
}

function timestampOf(epochMs: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(epochMs) * 1000n);
}

function allMissing(n: number, missing: (i: number) => boolean): boolean {
  for (let i = 0; i < n; i++) if (!missing(i)) return false;
  return true;
}

function isEmpty(record: Record<string, string>): boolean {
  for (const _ in record) return false;
  return true;
}

/**
 * Makes every item of a vector NULL. node-api marks a NULL one bit at a time with BigInt
 * arithmetic (several allocations each), which for the columns that are NULL throughout a chunk
 * (status_code and tags nearly always; a measure that the readings lack) cost more than the
 * values themselves. So the first item goes through the API, which creates the validity mask,
 * and the mask is then cleared in one fill. It relies on node-api 1.5's vector keeping that mask
 * as `validity.data` (a BigUint64Array); where it does not, every item goes through the API.
 */
function setAllNull(vector: DuckDBVector, n: number): void {
  if (n === 0) return;
  vector.setItem(0, null);
  const mask = (vector as unknown as { validity?: { data?: unknown } }).validity?.data;
  if (mask instanceof BigUint64Array) mask.fill(0n);
  else for (let i = 1; i < n; i++) vector.setItem(i, null);
}

function tagsText(tags: Record<string, string>): string | null {
  for (const _ in tags) return JSON.stringify(tags);
  return null;
}
