// Writing a column of a DuckDB data chunk without node-api's per-item costs. Through the API, a
// NULL (and every value after the first NULL of a vector) updates the validity mask one bit at a
// time with BigInt arithmetic, a TIMESTAMP or BIGINT item is a BigInt, and each setItem checks
// its value again. node-api 1.5's fixed-width vectors keep their items in a typed array
// (`items`) and their mask in `validity.data` (a BigUint64Array, null while every item is
// valid), both copied to DuckDB on flush(): these writers fill them directly, the mask in 32-bit
// words. Where a vector does not look like that (another node-api), every item goes through the
// API instead, which is correct, only slower. test/api/duckdb-chunks.test.ts runs both paths.
import { endianness } from "node:os";
import { DuckDBTimestampValue, type DuckDBVector } from "@duckdb/node-api";

type ItemArray = Float64Array | Int32Array | Uint8Array | BigInt64Array;
type ItemArrayType<T extends ItemArray> = abstract new (...args: never[]) => T;

/** A vector's validity as node-api 1.5 keeps it until flush(): null while every item is valid. */
interface NodeApiValidity {
  data: BigUint64Array | null;
}

/** The vector's validity, or null where this node-api keeps it otherwise. */
function nodeApiValidity(vector: DuckDBVector): NodeApiValidity | null {
  const validity = (vector as unknown as { validity?: { data?: unknown } }).validity;
  if (validity === undefined || validity === null) return null;
  const mask = validity.data;
  return mask === null || mask instanceof BigUint64Array ? (validity as NodeApiValidity) : null;
}

/** The fixed-width vector's item array, or null where this node-api keeps it otherwise. */
function nodeApiItems<T extends ItemArray>(
  vector: DuckDBVector,
  arrayType: ItemArrayType<T>,
  n: number,
): T | null {
  const items = (vector as unknown as { items?: unknown }).items;
  return items instanceof arrayType && items.length >= n ? items : null;
}

/** Which 32-bit word of a 64-bit one holds its low half, in this machine's byte order. */
const LOW_WORD = endianness() === "LE" ? 0 : 1;
const WORD = 2 ** 32;
const ALL_VALID = 0xffff_ffff_ffff_ffffn;

/**
 * The NULLs of one column of a chunk, as validity words of 32 bits (bit set: valid), the
 * layout DuckDB's mask has. One buffer for all columns: a column's mask is written to its
 * vector before the next column starts.
 */
class NullMask {
  private words = new Uint32Array(64);
  count = 0;
  first = -1;

  reset(n: number): void {
    const length = Math.ceil(n / 32);
    if (this.words.length < length) this.words = new Uint32Array(length);
    this.words.fill(0xffff_ffff, 0, length);
    this.count = 0;
    this.first = -1;
  }

  isNull(i: number): boolean {
    return ((this.words[i >>> 5] as number) & (1 << (i & 31))) === 0;
  }

  /** Every one of the n items NULL, a word at a time. */
  setAllNull(n: number): void {
    this.words.fill(0, 0, Math.ceil(n / 32));
    this.count = n;
    this.first = n > 0 ? 0 : -1;
  }

  setNull(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) & ~(1 << (i & 31));
    if (this.count++ === 0) this.first = i;
  }

  /** Writes the mask into node-api's BigUint64Array, 32 bits at a time: no BigInt per word. */
  copyTo(mask: BigUint64Array, n: number): void {
    const halves = new Uint32Array(mask.buffer, mask.byteOffset, mask.length * 2);
    const length = Math.ceil(n / 32);
    // The 64-bit word k holds 32-bit words 2k (its low half) and 2k+1.
    for (let w = 0; w < length; w++) halves[w ^ LOW_WORD] = this.words[w] as number;
  }
}

const nulls = new NullMask();

/** Gives the vector `nulls` as its validity; the vector's items are already written. */
function writeValidity(vector: DuckDBVector, validity: NodeApiValidity, n: number): void {
  if (nulls.count === 0) {
    // A mask left from an earlier use of this vector (chunks are reused) must not stay.
    validity.data?.fill(ALL_VALID);
    return;
  }
  // node-api creates the mask at a vector's first NULL; this makes that happen.
  if (validity.data === null) vector.setItem(nulls.first, null);
  const mask = validity.data as BigUint64Array | null;
  if (mask instanceof BigUint64Array) nulls.copyTo(mask, n);
  else for (let i = 0; i < n; i++) if (nulls.isNull(i)) vector.setItem(i, null);
}

/** DOUBLE items; null or undefined is NULL. */
export function writeDoubles(
  vector: DuckDBVector,
  n: number,
  valueAt: (i: number) => number | null | undefined,
): void {
  const items = nodeApiItems(vector, Float64Array, n);
  const validity = nodeApiValidity(vector);
  if (items === null || validity === null) {
    for (let i = 0; i < n; i++) vector.setItem(i, valueAt(i) ?? null);
    return;
  }
  nulls.reset(n);
  for (let i = 0; i < n; i++) {
    const value = valueAt(i);
    if (value == null) nulls.setNull(i);
    else items[i] = value;
  }
  writeValidity(vector, validity, n);
}

/** INTEGER items (32 bits); null is NULL. */
export function writeIntegers(
  vector: DuckDBVector,
  n: number,
  valueAt: (i: number) => number | null,
): void {
  const items = nodeApiItems(vector, Int32Array, n);
  const validity = nodeApiValidity(vector);
  if (items === null || validity === null) {
    for (let i = 0; i < n; i++) vector.setItem(i, valueAt(i));
    return;
  }
  nulls.reset(n);
  for (let i = 0; i < n; i++) {
    const value = valueAt(i);
    if (value === null) nulls.setNull(i);
    // What the API's setItem would refuse rather than wrap: checked upstream, so never thrown.
    else if ((value | 0) !== value) throw new RangeError(`not a 32-bit integer: ${value}`);
    else items[i] = value;
  }
  writeValidity(vector, validity, n);
}

/**
 * ENUM items (up to 256 members): `indexOf` gives each member's index in the enum's values,
 * `valueAt` the member or null (NULL).
 */
export function writeEnum8<V extends string>(
  vector: DuckDBVector,
  n: number,
  indexOf: Readonly<Record<V, number>>,
  valueAt: (i: number) => V | null,
): void {
  const items = nodeApiItems(vector, Uint8Array, n);
  const validity = nodeApiValidity(vector);
  if (items === null || validity === null) {
    for (let i = 0; i < n; i++) vector.setItem(i, valueAt(i));
    return;
  }
  nulls.reset(n);
  for (let i = 0; i < n; i++) {
    const value = valueAt(i);
    if (value === null) nulls.setNull(i);
    else {
      const index = indexOf[value];
      if (index === undefined) throw new RangeError(`not a member of the enum: ${value}`);
      items[i] = index;
    }
  }
  writeValidity(vector, validity, n);
}

/** Every item NULL, in a vector of any type (its items are left: DuckDB does not read them). */
export function writeAllNull(vector: DuckDBVector, n: number): void {
  const validity = nodeApiValidity(vector);
  if (validity === null) {
    for (let i = 0; i < n; i++) vector.setItem(i, null);
    return;
  }
  nulls.reset(n);
  nulls.setAllNull(n);
  writeValidity(vector, validity, n);
}

/**
 * Epoch-millisecond times as DuckDB's TIMESTAMP (µs since 1970) items, never NULL. Each int64
 * goes into node-api's BigInt64Array as two 32-bit words computed in doubles, exact below 2^53
 * µs (the year 2255); a time beyond that goes through the API.
 */
export function writeTimes(vector: DuckDBVector, n: number, timeAt: (i: number) => number): void {
  const items = nodeApiItems(vector, BigInt64Array, n);
  if (items === null) {
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
