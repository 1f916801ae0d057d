// The column writers of api/store/duckdb-vector-writes.ts fill node-api 1.5's typed arrays and
// validity masks directly, and fall back to node-api's setItem for a vector that keeps them
// otherwise. Both paths must write exactly what the API would: values, NULLs in any pattern
// (none, some, all, across 32- and 64-bit words), and over a vector used before.
import {
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBVector,
  ENUM8,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
} from "@duckdb/node-api";
import { expect, it } from "vitest";
import {
  writeAllNull,
  writeDoubles,
  writeEnum8,
  writeIntegers,
  writeTimes,
} from "../../api/store/duckdb-vector-writes.ts";

type Write = (vector: DuckDBVector, n: number) => void;

/** A vector that offers only node-api's public API, counting the items set through it. */
function apiOnly(real: DuckDBVector, counter: { calls: number }): DuckDBVector {
  return {
    setItem: (i: number, value: Parameters<DuckDBVector["setItem"]>[1]) => {
      counter.calls++;
      real.setItem(i, value);
    },
  } as unknown as DuckDBVector;
}

/**
 * Runs `writes` one after another into the same one-column chunk of `type` (each is appended
 * before the next, as the store does), and returns each write's rows as DuckDB read them.
 */
async function roundTrip(
  type: DuckDBType,
  sql: string,
  n: number,
  writes: Write[],
  through: (real: DuckDBVector) => DuckDBVector = (real) => real,
): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const chunk = DuckDBDataChunk.create([type], n);
    const results: unknown[][] = [];
    for (const write of writes) {
      await connection.run(`CREATE OR REPLACE TABLE written (value ${sql})`);
      const vector = chunk.getColumnVector(0);
      write(through(vector), n);
      vector.flush();
      const appender = await connection.createAppender("written");
      appender.appendDataChunk(chunk);
      appender.closeSync();
      const rows = await connection.runAndReadAll(
        `SELECT ${sql === "TIMESTAMP" ? "epoch_ms(value)" : "value"} FROM written ORDER BY rowid`,
      );
      results.push(
        rows.getRows().map(([value]) => (typeof value === "bigint" ? Number(value) : value)),
      );
    }
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const N = 200; // four 64-bit mask words, the last one partly used
// NULL patterns: none, some (crossing 32-bit halves and 64-bit words), all, and none again over
// a mask that the earlier patterns left in the vector.
const PATTERNS: ((i: number) => boolean)[] = [
  () => false,
  (i) => i % 7 === 3 || (i >= 60 && i <= 70) || i === N - 1,
  () => true,
  () => false,
];
const expected = (valueAt: (i: number) => unknown) =>
  PATTERNS.map((isNull) => Array.from({ length: N }, (_, i) => (isNull(i) ? null : valueAt(i))));

const STATUSES = ["producing", "idle", "maintenance"] as const;
const STATUS_INDEX = { producing: 0, idle: 1, maintenance: 2 };
const COLUMNS: {
  name: string;
  type: DuckDBType;
  items: abstract new (...args: never[]) => object;
  sql: string;
  valueAt: (i: number) => number | string;
  write: (isNull: (i: number) => boolean) => Write;
}[] = [
  {
    name: "doubles",
    type: DOUBLE,
    items: Float64Array,
    sql: "DOUBLE",
    valueAt: (i) => i / 3 - 20,
    write: (isNull) => (v, n) => writeDoubles(v, n, (i) => (isNull(i) ? undefined : i / 3 - 20)),
  },
  {
    name: "integers",
    type: INTEGER,
    items: Int32Array,
    sql: "INTEGER",
    valueAt: (i) => (i % 2 === 0 ? 2_147_483_647 - i : -2_147_483_648 + i),
    write: (isNull) => (v, n) =>
      writeIntegers(v, n, (i) =>
        isNull(i) ? null : i % 2 === 0 ? 2_147_483_647 - i : -2_147_483_648 + i,
      ),
  },
  {
    name: "an enum, read back as VARCHAR",
    type: ENUM8(STATUSES),
    items: Uint8Array,
    sql: "VARCHAR",
    valueAt: (i) => STATUSES[i % 3] as string,
    write: (isNull) => (v, n) =>
      writeEnum8(v, n, STATUS_INDEX, (i) => (isNull(i) ? null : (STATUSES[i % 3] ?? null))),
  },
];

for (const column of COLUMNS) {
  const writes = PATTERNS.map(column.write);
  it(`writes ${column.name} and their NULLs into node-api's arrays`, async () => {
    const vector = DuckDBDataChunk.create([column.type], 1).getColumnVector(0);
    // The fast path depends on these; if an upgrade of node-api drops them, the writers still
    // write right (next test) but through setItem: see duckdb-vector-writes.ts.
    expect((vector as unknown as { items: unknown }).items).toBeInstanceOf(column.items);
    expect((vector as unknown as { validity: { data: unknown } }).validity.data).toBeNull();
    const counter = { calls: 0 };
    const rows = await roundTrip(column.type, column.sql, N, writes, (real) => {
      const spied = real as unknown as { setItem: DuckDBVector["setItem"] };
      const setItem = spied.setItem.bind(real);
      spied.setItem = (i, value) => {
        counter.calls++;
        setItem(i, value);
      };
      return real;
    });
    expect(rows).toEqual(expected(column.valueAt));
    // At most one setItem a write: the one that makes node-api create the mask.
    expect(counter.calls).toBeLessThanOrEqual(PATTERNS.length);
  });

  it(`writes ${column.name} through setItem where a vector keeps its items otherwise`, async () => {
    const counter = { calls: 0 };
    const rows = await roundTrip(column.type, column.sql, N, writes, (real) =>
      apiOnly(real, counter),
    );
    expect(rows).toEqual(expected(column.valueAt));
    expect(counter.calls).toBe(N * PATTERNS.length);
  });
}

it("makes every item of a VARCHAR NULL, over strings written before, both ways", async () => {
  const text: Write = (v, n) => {
    for (let i = 0; i < n; i++) v.setItem(i, `reading ${i}`);
  };
  const strings = Array.from({ length: N }, (_, i) => `reading ${i}`);
  const nulls = Array.from({ length: N }, () => null);
  for (const through of [undefined, (real: DuckDBVector) => apiOnly(real, { calls: 0 })]) {
    expect(await roundTrip(VARCHAR, "VARCHAR", N, [text, writeAllNull, text], through)).toEqual([
      strings,
      nulls,
      strings,
    ]);
  }
});

// Times as far apart as an int64 of microseconds allows in doubles, on both sides of 1970 and
// of a 32-bit word, to the millisecond; the last one beyond 2^53 µs, through the API.
const NOW = Date.parse("2026-11-23T12:00:00Z");
const TIMES = [
  0,
  1,
  -1,
  NOW,
  NOW + 999,
  -86_400_000 * 365 * 50 - 123,
  4_294_967, // just below 2^32 µs: the high word's first carry
  4_294_968, // just above
  Math.floor(Number.MAX_SAFE_INTEGER / 1000),
  -Math.floor(Number.MAX_SAFE_INTEGER / 1000),
  Math.floor(Number.MAX_SAFE_INTEGER / 1000) + 1,
];
const writeTimesAll: Write = (v, n) => writeTimes(v, n, (i) => TIMES[i] as number);

it("writes times into node-api's item array, exactly, on both sides of 1970", async () => {
  const vector = DuckDBDataChunk.create([TIMESTAMP], 1).getColumnVector(0);
  expect((vector as unknown as { items: unknown }).items).toBeInstanceOf(BigInt64Array);
  const rows = await roundTrip(TIMESTAMP, "TIMESTAMP", TIMES.length, [writeTimesAll]);
  expect(rows).toEqual([TIMES]);
});

it("writes times through setItem where a vector has no item array", async () => {
  const counter = { calls: 0 };
  const rows = await roundTrip(TIMESTAMP, "TIMESTAMP", TIMES.length, [writeTimesAll], (real) =>
    apiOnly(real, counter),
  );
  expect(rows).toEqual([TIMES]);
  expect(counter.calls).toBe(TIMES.length);
});
