// Readings reach the DuckDB file as columnar chunks of 2,048 rows (api/store/duckdb-readings-chunk.ts),
// where a column that is NULL throughout a chunk is written in one step, the full chunks of one
// write share one DuckDBDataChunk, status goes in as an ENUM that DuckDB casts to VARCHAR, and
// times bypass node-api's BigInt values. Every value and every NULL must come back as written,
// in chunks that mix both, chunks that do not, and chunks that follow ones that did.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBDataChunk, DuckDBInstance, type DuckDBVector, TIMESTAMP } from "@duckdb/node-api";
import { afterAll, expect, it } from "vitest";
import { READING_STATUSES } from "../../api/readings/limits.ts";
import { writeTimes } from "../../api/store/duckdb-readings-chunk.ts";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";

const dir = mkdtempSync(join(tmpdir(), "gust-chunks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse("2026-11-23T12:00:00Z");

// Chunks: 0..2047 and 2048..4095 (full, one DuckDBDataChunk reused), 4096..4999 (its own).
function reading(i: number): Reading {
  const measures: Record<string, number> = {};
  if (i % 3 === 0) measures.rotor_speed_rpm = i % 300; // in every chunk, with gaps
  if (i === 5) measures.pitch_angle_deg = -2.5; // one value in the first chunk, none after
  if (i >= 2048) measures.yaw_error_deg = 1.25; // none in the first chunk, all after
  if (i < 2048) measures.gearbox_temperature_c = 60 + i / 100; // all of the first, none after
  return {
    turbine_id: `chunk-${i % 7}`,
    time: NOW - 86_400_000 + i * 1000,
    power_kw: i / 4,
    wind_speed_ms: 8,
    // Every status and NULL in the first chunk, never NULL in the second, NULL in the third.
    status: i < 2048 && i % 6 === 5 ? null : i >= 4096 ? null : (READING_STATUSES[i % 5] ?? null),
    status_code: i === 2100 ? 42 : i < 2048 ? i - 1000 : null, // all of the first, one after
    version: i % 1000 === 7 ? Number.MAX_SAFE_INTEGER - i : 1,
    measures,
    tags: {},
  };
}

it("stores every value and every NULL of chunks with columns NULL throughout", async () => {
  const path = join(dir, "gust.duckdb");
  const store = await openDuckDbStore({
    path,
    writeWindow: { maxAgeMs: 7 * 86_400_000, maxFutureMs: 900_000 },
  });
  const readings = Array.from({ length: 5000 }, (_, i) => reading(i));
  try {
    // 5,000 readings: one group committed straight to the file, in three chunks.
    expect(new Set(await store.write(readings))).toEqual(new Set(["accepted"]));
    // And a small group through the ingest log: one chunk where every measure column is NULL.
    const late: Reading = { ...reading(5000), measures: {}, status: null };
    expect(await store.write([late])).toEqual(["accepted"]);
    const rows = await store.select(
      `SELECT turbine_id, time, power_kw, status, status_code, version, rotor_speed_rpm,
              pitch_angle_deg, yaw_error_deg, gearbox_temperature_c, CAST(tags AS VARCHAR) AS tags
         FROM readings ORDER BY time`,
    );
    const expected = [...readings, late].map((r) => ({
      turbine_id: r.turbine_id,
      time: r.time,
      power_kw: r.power_kw,
      status: r.status,
      status_code: r.status_code,
      version: r.version,
      rotor_speed_rpm: r.measures.rotor_speed_rpm ?? null,
      pitch_angle_deg: r.measures.pitch_angle_deg ?? null,
      yaw_error_deg: r.measures.yaw_error_deg ?? null,
      gearbox_temperature_c: r.measures.gearbox_temperature_c ?? null,
      tags: "{}",
    }));
    expect(rows).toEqual(expected);
  } finally {
    await store.close();
  }
});

// Times as far apart as an int64 of microseconds allows in doubles, on both sides of 1970 and
// of a 32-bit word, to the millisecond.
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
];

/** `times` written by writeTimes into a one-column chunk, appended and read back as epoch ms. */
async function roundTrip(times: number[], vectorOf: (real: DuckDBVector) => DuckDBVector) {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run("CREATE TABLE written (time TIMESTAMP)");
    const chunk = DuckDBDataChunk.create([TIMESTAMP], times.length);
    const vector = chunk.getColumnVector(0);
    writeTimes(vectorOf(vector), times.length, (i) => times[i] as number);
    vector.flush();
    const appender = await connection.createAppender("written");
    appender.appendDataChunk(chunk);
    appender.closeSync();
    const rows = await connection.runAndReadAll(
      "SELECT epoch_ms(time) FROM written ORDER BY rowid",
    );
    return rows.getRows().map(([ms]) => Number(ms));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

it("writes times into node-api's item array, exactly, on both sides of 1970", async () => {
  const vector = DuckDBDataChunk.create([TIMESTAMP], 1).getColumnVector(0);
  // The fast path depends on this; if an upgrade of node-api drops it, times still come back
  // right (next test) but each costs a BigInt again: look at writeTimes.
  expect((vector as unknown as { items: unknown }).items).toBeInstanceOf(BigInt64Array);
  expect(await roundTrip(TIMES, (real) => real)).toEqual(TIMES);
});

it("writes times through node-api's API where a vector has no item array", async () => {
  let calls = 0;
  const apiOnly = (real: DuckDBVector) =>
    ({
      setItem: (i: number, value: Parameters<DuckDBVector["setItem"]>[1]) => {
        calls++;
        real.setItem(i, value);
      },
    }) as unknown as DuckDBVector;
  expect(await roundTrip(TIMES, apiOnly)).toEqual(TIMES);
  expect(calls).toBe(TIMES.length);
});
