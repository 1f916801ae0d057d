// The column writers of api/store/duckdb-vector-writes.ts copy whole columns into a data
// chunk's vectors through node-bindings. They must write exactly what node-api's setItem would:
// values, NULLs in any pattern (none, some, all, across 32- and 64-bit words), over a vector used
// before, and beside a column written through node-api (the tags text).

import {
  BIGINT,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  ENUM8,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
} from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import { expect, it } from "vitest";
import {
  type RawVector,
  writeAllNull,
  writeAllValid,
  writeBigInts,
  writeDoubles,
  writeEnum8,
  writeIntegers,
  writeTimes,
} from "../../api/store/duckdb-vector-writes.ts";

type Write = (vector: RawVector, n: number, chunk: DuckDBDataChunk) => void;

/**
 * Runs `writes` one after another into the same one-column chunk of `type` (each is appended
 * before the next, as the store does), and returns each write's rows as DuckDB read them.
 */
async function roundTrip(
  type: DuckDBType,
  sql: string,
  n: number,
  writes: Write[],
): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const chunk = DuckDBDataChunk.create([type], n);
    const results: unknown[][] = [];
    for (const write of writes) {
      await connection.run(`CREATE OR REPLACE TABLE written (value ${sql})`);
      write(duckdb.data_chunk_get_vector(chunk.chunk, 0), n, chunk);
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
  sql: string;
  valueAt: (i: number) => number | string;
  write: (isNull: (i: number) => boolean) => Write;
}[] = [
  {
    name: "doubles",
    type: DOUBLE,
    sql: "DOUBLE",
    valueAt: (i) => i / 3 - 20,
    write: (isNull) => (v, n) => writeDoubles(v, n, (i) => (isNull(i) ? undefined : i / 3 - 20)),
  },
  {
    name: "integers",
    type: INTEGER,
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
    sql: "VARCHAR",
    valueAt: (i) => STATUSES[i % 3] as string,
    write: (isNull) => (v, n) =>
      writeEnum8(v, n, STATUS_INDEX, (i) => (isNull(i) ? null : (STATUSES[i % 3] ?? null))),
  },
];

for (const column of COLUMNS) {
  it(`writes ${column.name} and their NULLs, over earlier writes`, async () => {
    const rows = await roundTrip(column.type, column.sql, N, PATTERNS.map(column.write));
    expect(rows).toEqual(expected(column.valueAt));
  });
}

it("makes every item of a VARCHAR NULL, over strings node-api wrote before, and back", async () => {
  // The tags column: text through node-api's vector, all-NULL through the writers.
  const text: Write = (v, n, chunk) => {
    writeAllValid(v, n);
    const vector = chunk.getColumnVector(0);
    for (let i = 0; i < n; i++) vector.setItem(i, `reading ${i}`);
    vector.flush();
  };
  const strings = Array.from({ length: N }, (_, i) => `reading ${i}`);
  const nulls = Array.from({ length: N }, () => null);
  expect(await roundTrip(VARCHAR, "VARCHAR", N, [text, writeAllNull, text])).toEqual([
    strings,
    nulls,
    strings,
  ]);
});

it("writes BIGINTs exactly, small and beyond 32 and 53 bits", async () => {
  const values = [1, 2, 0, -1, 4_294_967_296, -4_294_967_297, Number.MAX_SAFE_INTEGER, 2 ** 60];
  const rows = await roundTrip(BIGINT, "BIGINT", values.length, [
    (v, n) => writeBigInts(v, n, (i) => values[i] as number),
  ]);
  expect(rows).toEqual([values]);
});

// Times as far apart as an int64 of microseconds allows in doubles, on both sides of 1970 and
// of a 32-bit word, to the millisecond; the last one beyond 2^53 µs, through a BigInt.
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

it("writes times exactly, on both sides of 1970 and beyond 2^53 µs", async () => {
  const rows = await roundTrip(TIMESTAMP, "TIMESTAMP", TIMES.length, [writeTimesAll]);
  expect(rows).toEqual([TIMES]);
});
