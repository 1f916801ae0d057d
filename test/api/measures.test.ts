// The wide reading: status_code and measures through the HTTP contract into the DuckDB file and
// back, every bad one a 422 with its pointer, identity rules over every measure, the store's
// limit of measure columns, and schema on write across restarts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MEASURE_COLUMNS } from "../../api/readings/measures.ts";
import { reading, startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const SCADA = {
  rotor_speed_rpm: 14.2,
  generator_speed_rpm: 1480.5,
  pitch_angle_deg: -1.5,
  wind_direction_deg: 245,
  ambient_temperature_c: -3.25,
  energy_counter_kwh: 12_345_678.9,
  power_kw_min: 1610,
  power_kw_max: 1995.2,
  power_kw_std: 81.4,
  wind_speed_ms_std: 1.2,
  oil_pressure_bar: 2.5,
};

describe("measures and status_code", () => {
  it("are accepted, stored in typed columns and read back", async () => {
    const sent = reading("wide-1", 3, { status_code: 1042, measures: SCADA });
    expect((await server.post(sent)).body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    await server.post(reading("wide-1", 2));
    const read = await server.get("/v1/turbines/wide-1/measurements");
    expect(read.body.readings).toEqual([
      expect.objectContaining({ time: sent.time, status_code: 1042, measures: SCADA }),
      expect.objectContaining({ status_code: null, measures: {} }),
    ]);
    const columns = await server.store.measureColumns();
    for (const name of Object.keys(SCADA)) expect(columns.has(name)).toBe(true);
    const types = await server.store.select(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'readings' AND column_name = 'rotor_speed_rpm'",
    );
    expect(types).toEqual([{ column_name: "rotor_speed_rpm", data_type: "DOUBLE" }]);
  });

  it("answer 422 with a pointer for every bad name, count, type and value", async () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i]));
    const longNames = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`${"x".repeat(55)}_${String(i).padStart(3, "0")}`, 1]),
    );
    const cases: [Record<string, unknown>, string][] = [
      [{ measures: { Rotor: 1 } }, "/measures/Rotor"],
      [{ measures: { "1rpm": 1 } }, "/measures/1rpm"],
      [{ measures: { [`a${"b".repeat(60)}`]: 1 } }, `/measures/a${"b".repeat(60)}`],
      [{ measures: { power_kw: 1 } }, "/measures/power_kw"],
      [{ measures: { status_code: 1 } }, "/measures/status_code"],
      [{ measures: { ts_x: 1 } }, "/measures/ts_x"],
      [{ measures: { rotor_speed_rpm: "14" } }, "/measures/rotor_speed_rpm"],
      [{ measures: { rotor_speed_rpm: null } }, "/measures/rotor_speed_rpm"],
      [{ measures: { rotor_speed_rpm: 1e6 } }, "/measures/rotor_speed_rpm"],
      [{ measures: { ambient_temperature_c: -80 } }, "/measures/ambient_temperature_c"],
      [{ measures: { power_kw_std: -1 } }, "/measures/power_kw_std"],
      [{ measures: { wind_speed_ms_max: 101 } }, "/measures/wind_speed_ms_max"],
      // A statistic shares its channel's range: power_kw stops at 2 GW, so does its max.
      [{ measures: { power_kw_max: 2_500_000 } }, "/measures/power_kw_max"],
      [{ measures: { anything_else: 1.7e308 } }, "/measures/anything_else"],
      [{ measures: { constructor_min: 1e300 } }, "/measures/constructor_min"],
      [{ measures: many }, "/measures"],
      [{ measures: longNames }, "/measures"],
      [{ measures: [1, 2] }, "/measures"],
      [{ measures: 5 }, "/measures"],
      [{ status_code: 1.5 }, "/status_code"],
      [{ status_code: "12" }, "/status_code"],
      [{ status_code: 2 ** 31 }, "/status_code"],
    ];
    for (const [extra, pointer] of cases) {
      const single = await server.post(reading("wide-bad", 1, extra));
      expect(single.status, pointer).toBe(422);
      expect(single.contentType).toBe("application/problem+json");
      expect(
        single.body.errors.map((e: any) => e.pointer),
        JSON.stringify(extra),
      ).toContain(pointer);
      const batch = await server.post({
        readings: [reading("wide-bad", 2), reading("wide-bad", 1, extra)],
      });
      expect(batch.status).toBe(422);
      expect(batch.body.errors.map((e: any) => e.pointer)).toContain(`/readings/1${pointer}`);
    }
    expect(await server.stored("wide-bad")).toHaveLength(0);
  });

  it("a re-send that differs only in one measure is a conflict; identical, a duplicate", async () => {
    const first = reading("wide-dup", 4, { measures: { rotor_speed_rpm: 12, pitch_angle_deg: 2 } });
    expect((await server.post(first)).body.accepted).toBe(1);
    expect((await server.post(first)).body.duplicates).toBe(1);
    const sameValuesOtherOrder = {
      ...first,
      measures: { pitch_angle_deg: 2, rotor_speed_rpm: 12 },
    };
    expect((await server.post(sameValuesOtherOrder)).body.duplicates).toBe(1);
    for (const measures of [
      { rotor_speed_rpm: 12, pitch_angle_deg: 2.5 },
      { rotor_speed_rpm: 12 },
      { rotor_speed_rpm: 12, pitch_angle_deg: 2, yaw_error_deg: 0 },
    ]) {
      const answer = await server.post({ ...first, measures });
      expect(answer.body.rejected).toEqual([
        { index: 0, reason: "conflict", detail: expect.any(String) },
      ]);
    }
    expect((await server.post({ ...first, status_code: 7 })).body.rejected[0].reason).toBe(
      "conflict",
    );
    const corrected = { ...first, version: 2, measures: { rotor_speed_rpm: 12.5 } };
    expect((await server.post(corrected)).body.accepted).toBe(1);
    const read = await server.get("/v1/turbines/wide-dup/measurements");
    expect(read.body.readings).toEqual([
      expect.objectContaining({ version: 2, measures: { rotor_speed_rpm: 12.5 } }),
    ]);
  });
});

describe("schema on write", () => {
  it("keeps measure columns and their values across restarts, and adds new ones later", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "gust-wide-"));
    try {
      const first = await startTestServer({ dataDir });
      await first.post(reading("sow-1", 5, { measures: { rotor_speed_rpm: 10 } }));
      await first.stop();
      const second = await startTestServer({ dataDir });
      expect([...(await second.store.measureColumns())]).toEqual(["rotor_speed_rpm"]);
      await second.post(reading("sow-1", 4, { measures: { nacelle_direction_deg: 180 } }));
      await second.stop();
      const third = await startTestServer({ dataDir });
      expect([...(await third.store.measureColumns())].sort()).toEqual([
        "nacelle_direction_deg",
        "rotor_speed_rpm",
      ]);
      const read = await third.get("/v1/turbines/sow-1/measurements");
      expect(read.body.readings.map((r: any) => r.measures)).toEqual([
        { rotor_speed_rpm: 10 },
        { nacelle_direction_deg: 180 },
      ]);
      await third.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it(`holds at most ${MAX_MEASURE_COLUMNS} measure columns; beyond, a write is a 422 that says so`, async () => {
    const limited = await startTestServer();
    try {
      // Four turbines bring 64 names each (one turbine may bring at most 64).
      const names = Array.from({ length: MAX_MEASURE_COLUMNS }, (_, i) => `c${i}`);
      for (let i = 0; i < names.length; i += 64) {
        const measures = Object.fromEntries(names.slice(i, i + 64).map((n) => [n, 1]));
        const answer = await limited.post(reading(`limit-${i / 64}`, 10, { measures }));
        expect(answer.body.accepted).toBe(1);
      }
      const over = await limited.post(reading("limit-9", 1, { measures: { c0: 2, one_more: 1 } }));
      expect(over.status).toBe(422);
      expect(over.contentType).toBe("application/problem+json");
      expect(over.body.detail).toMatch(/at most 256 distinct measure names.*one_more/);
      // Names already stored still go in.
      const known = await limited.post(reading("limit-1", 1, { measures: { c255: 3 } }));
      expect(known.body.accepted).toBe(1);
      expect((await limited.store.measureColumns()).size).toBe(MAX_MEASURE_COLUMNS);
      expect(await limited.stored("limit-1")).toHaveLength(2);
    } finally {
      await limited.stop();
    }
  });
});
