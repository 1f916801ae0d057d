// Writing a column of a DuckDB data chunk without a per-item call into node-api. Its vectors'
// setItem costs a check and, once a vector holds one NULL, BigInt arithmetic on the validity mask
// for every item after; a TIMESTAMP or BIGINT item is a BigInt. These writers fill typed arrays
// of their own and copy each column into the chunk's vector with two calls of
// @duckdb/node-bindings, the C API's public binding that node-api itself is built on:
// `copy_data_to_vector` (the items) and `copy_data_to_vector_validity` (the mask, in DuckDB's
// layout: bit i of 64-bit word i/64 set when item i is valid).
//
// node-api has no public bulk write (its vectors keep their typed arrays private):
// https://github.com/duckdb/duckdb-node-neo/issues/361. The chunk handle node-api gives
// (DuckDBDataChunk.chunk) is passed to node-bindings, so both must be the one native library:
// package.json pins @duckdb/node-api and @duckdb/node-bindings to the same exact version.
//
// A column written here must not also be written through node-api's vector of it in the same
// chunk: that vector's flush() would copy its own items over these.
import { endianness } from "node:os";
import duckdb from "@duckdb/node-bindings";

/** A chunk's column, as node-bindings has it (duckdb.data_chunk_get_vector). */
export type RawVector = duckdb.Vector;

/** DuckDB's vector size: a data chunk holds at most this many rows. */
const MAX_ROWS = 2048;
/** Which 32-bit word of a 64-bit one holds its low half, in this machine's byte order. */
const LOW_WORD = endianness() === "LE" ? 0 : 1;
const WORD = 2 ** 32;

// One scratch buffer for every column: a column is copied into its vector before the next starts.
const scratch = new ArrayBuffer(MAX_ROWS * 8);
const doubles = new Float64Array(scratch);
const int32s = new Int32Array(scratch);
const bytes = new Uint8Array(scratch);
const words = new Uint32Array(scratch);
const int64s = new BigInt64Array(scratch);

/**
 * The NULLs of one column of a chunk, as validity words of 32 bits (bit set: valid), which is
 * DuckDB's 64-bit mask in memory once the halves are in this machine's order.
 */
class NullMask {
  private readonly words = new Uint32Array(MAX_ROWS / 32);
  count = 0;

  reset(n: number): void {
    this.words.fill(0xffff_ffff, 0, wordCount(n));
    this.count = 0;
  }

  /** Every one of the n items NULL, a word at a time. */
  setAllNull(n: number): void {
    this.words.fill(0, 0, wordCount(n));
    this.count = n;
  }

  setNull(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) & ~(1 << (i & 31));
    this.count++;
  }

  /**
   * Gives the vector this mask. Written every time, NULLs or not: chunks are reused, and a mask
   * left from an earlier use must not stay. A vector without a mask gets one (all valid) first.
   */
  writeTo(vector: RawVector, n: number): void {
    const length = wordCount(n);
    const mask = this.ordered(length);
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, length * 4);
  }

  /** The words with each 64-bit word's halves where DuckDB reads them. */
  private ordered(length: number): Uint32Array<ArrayBuffer> {
    if (LOW_WORD === 0) return this.words;
    const swapped = new Uint32Array(length);
    for (let w = 0; w < length; w++) swapped[w ^ 1] = this.words[w] as number;
    return swapped;
  }
}

function wordCount(n: number): number {
  // Whole 64-bit words: the mask is copied in those.
  return Math.ceil(n / 64) * 2;
}

const nulls = new NullMask();

function copyItems(vector: RawVector, byteCount: number): void {
  duckdb.copy_data_to_vector(vector, 0, scratch, 0, byteCount);
}

/** DOUBLE items; null or undefined is NULL. */
export function writeDoubles(
  vector: RawVector,
  n: number,
  valueAt: (i: number) => number | null | undefined,
): void {
  nulls.reset(n);
  for (let i = 0; i < n; i++) {
    const value = valueAt(i);
    if (value == null) {
      nulls.setNull(i);
      doubles[i] = 0;
    } else doubles[i] = value;
  }
  copyItems(vector, n * 8);
  nulls.writeTo(vector, n);
}

/** INTEGER items (32 bits); null is NULL. */
export function writeIntegers(
  vector: RawVector,
  n: number,
  valueAt: (i: number) => number | null,
): void {
  nulls.reset(n);
  for (let i = 0; i < n; i++) {
    const value = valueAt(i);
    if (value === null) {
      nulls.setNull(i);
      int32s[i] = 0;
    }
    // Checked upstream, so never thrown: a value that would wrap is refused, not stored.
    else if ((value | 0) !== value) throw new RangeError(`not a 32-bit integer: ${value}`);
    else int32s[i] = value;
  }
  copyItems(vector, n * 4);
  nulls.writeTo(vector, n);
}

/**
 * ENUM items (up to 256 members): `indexOf` gives each member's index in the enum's values,
 * `valueAt` the member or null (NULL).
 */
export function writeEnum8<V extends string>(
  vector: RawVector,
  n: number,
  indexOf: Readonly<Record<V, number>>,
  valueAt: (i: number) => V | null,
): void {
  nulls.reset(n);
  for (let i = 0; i < n; i++) {
    const value = valueAt(i);
    if (value === null) {
      nulls.setNull(i);
      bytes[i] = 0;
    } else {
      const index = indexOf[value];
      if (index === undefined) throw new RangeError(`not a member of the enum: ${value}`);
      bytes[i] = index;
    }
  }
  copyItems(vector, n);
  nulls.writeTo(vector, n);
}

/** Every item NULL, in a vector of any type (its items are left: DuckDB does not read them). */
export function writeAllNull(vector: RawVector, n: number): void {
  nulls.setAllNull(n);
  nulls.writeTo(vector, n);
}

/** Every item valid (a column about to be written through node-api: see the tags column). */
export function writeAllValid(vector: RawVector, n: number): void {
  nulls.reset(n);
  nulls.writeTo(vector, n);
}

/**
 * BIGINT items, never NULL, given as numbers: each goes in as two 32-bit words computed in
 * doubles (exact for safe integers); anything else as a BigInt.
 */
export function writeBigInts(vector: RawVector, n: number, valueAt: (i: number) => number): void {
  for (let i = 0; i < n; i++) writeInt64(i, valueAt(i));
  copyItems(vector, n * 8);
  writeAllValid(vector, n);
}

/** Epoch-millisecond times as DuckDB's TIMESTAMP (µs since 1970) items, never NULL. */
export function writeTimes(vector: RawVector, n: number, timeAt: (i: number) => number): void {
  for (let i = 0; i < n; i++) {
    const ms = timeAt(i);
    const micros = ms * 1000;
    if (Number.isSafeInteger(micros)) writeInt64(i, micros);
    // Beyond 2^53 µs (the year 2255): exact through a BigInt.
    else int64s[i] = BigInt(ms) * 1000n;
  }
  copyItems(vector, n * 8);
  writeAllValid(vector, n);
}

function writeInt64(i: number, value: number): void {
  if (!Number.isSafeInteger(value)) {
    int64s[i] = BigInt(value);
    return;
  }
  const high = Math.floor(value / WORD);
  // Uint32Array stores the two's complement of a negative high word, as int64 wants.
  words[2 * i + LOW_WORD] = value - high * WORD;
  words[2 * i + 1 - LOW_WORD] = high;
}
