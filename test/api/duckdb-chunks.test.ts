// Readings reach the DuckDB file as columnar chunks of 2,048 rows, where a column that is NULL
// throughout a chunk is written in one step (api/store/duckdb-readings-table.ts). Every value
// and every NULL must come back as written, in chunks that mix both and chunks that do not.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";

const dir = mkdtempSync(join(tmpdir(), "gust-chunks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse("2026-11-23T12:00:00Z");

function reading(i: number): Reading {
  const measures: Record<string, number> = {};
  if (i % 3 === 0) measures.rotor_speed_rpm = i % 300; // in every chunk, with gaps
  if (i === 5) measures.pitch_angle_deg = -2.5; // one value in the first chunk, none after
  if (i >= 2048) measures.yaw_error_deg = 1.25; // none in the first chunk, all in the second
  return {
    turbine_id: `chunk-${i % 7}`,
    time: NOW - 86_400_000 + i * 1000,
    power_kw: i / 4,
    wind_speed_ms: 8,
    status: i % 2 === 0 ? "producing" : null,
    status_code: i === 2100 ? 42 : null, // only in the second chunk
    version: 1,
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
  const readings = Array.from({ length: 3000 }, (_, i) => reading(i));
  try {
    // 3,000 readings: one group committed straight to the file, in two chunks.
    expect(new Set(await store.write(readings))).toEqual(new Set(["accepted"]));
    // And a small group through the ingest log: one chunk where every measure column is NULL.
    const late: Reading = { ...reading(3000), measures: {}, status: null };
    expect(await store.write([late])).toEqual(["accepted"]);
    const rows = await store.select(
      `SELECT turbine_id, time, power_kw, status, status_code, rotor_speed_rpm, pitch_angle_deg,
              yaw_error_deg, CAST(tags AS VARCHAR) AS tags
         FROM readings ORDER BY time`,
    );
    const expected = [...readings, late].map((r) => ({
      turbine_id: r.turbine_id,
      time: r.time,
      power_kw: r.power_kw,
      status: r.status,
      status_code: r.status_code,
      rotor_speed_rpm: r.measures.rotor_speed_rpm ?? null,
      pitch_angle_deg: r.measures.pitch_angle_deg ?? null,
      yaw_error_deg: r.measures.yaw_error_deg ?? null,
      tags: "{}",
    }));
    expect(rows).toEqual(expected);
  } finally {
    await store.close();
  }
});
