// Readings reach the DuckDB file as columnar chunks of 2,048 rows (api/store/duckdb-readings-chunk.ts)
// written straight into node-api's typed arrays and validity masks, reused from chunk to chunk
// and from write to write; status goes in as an ENUM that DuckDB casts to VARCHAR. Every value
// and every NULL must come back as written, in chunks that mix both, chunks that do not, and
// chunks that reuse ones that did.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { READING_STATUSES } from "../../api/readings/limits.ts";
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

it("stores every value and NULL of writes that reuse the chunks of earlier ones", async () => {
  const store = await openDuckDbStore({
    path: join(dir, "reuse.duckdb"),
    writeWindow: { maxAgeMs: 7 * 86_400_000, maxFutureMs: 900_000 },
  });
  // Three writes of 600 (one chunk of 600, reused) then one of 700 (resized), each turning the
  // previous one's NULLs into values or back; the last adds a measure column (new chunks).
  const write = (w: number, i: number): Reading => {
    const k = w * 1000 + i;
    const measures: Record<string, number> = {};
    if (w === 0 || (w === 2 && i % 2 === 0)) measures.rotor_speed_rpm = k / 8;
    if (w === 3) measures.pitch_angle_deg = -k / 16;
    return {
      turbine_id: `reuse-${i % 5}`,
      time: NOW - 3_600_000 + k * 1000,
      power_kw: k,
      wind_speed_ms: i / 3,
      status: w === 0 && i % 2 === 1 ? null : w === 2 ? null : (READING_STATUSES[k % 5] ?? null),
      status_code: w === 1 ? -k : w === 2 && i % 3 === 0 ? k : null,
      version: 1,
      measures,
      tags: {},
    };
  };
  const writes = [600, 600, 600, 700].map((size, w) =>
    Array.from({ length: size }, (_, i) => write(w, i)),
  );
  try {
    for (const readings of writes) {
      expect(new Set(await store.write(readings))).toEqual(new Set(["accepted"]));
    }
    const rows = await store.select(
      `SELECT turbine_id, time, power_kw, wind_speed_ms, status, status_code, rotor_speed_rpm,
              pitch_angle_deg
         FROM readings ORDER BY time`,
    );
    expect(rows).toEqual(
      writes.flat().map((r) => ({
        turbine_id: r.turbine_id,
        time: r.time,
        power_kw: r.power_kw,
        wind_speed_ms: r.wind_speed_ms,
        status: r.status,
        status_code: r.status_code,
        rotor_speed_rpm: r.measures.rotor_speed_rpm ?? null,
        pitch_angle_deg: r.measures.pitch_angle_deg ?? null,
      })),
    );
  } finally {
    await store.close();
  }
});
