// GET /v1/analyses/*: over a real server with a real DuckDB file, turbines registered through
// PUT /v1/turbines and readings through POST /v1/measurements; JSON, CSV and Parquet alike.
//
//   two hours, every 10 minutes, at 8 m/s (bin 16): A makes 500 kW, B 400 kW, both model M:
//   M's curve at bin 16 is 450 kW; B is 1 - 400/450 = 11.11% short, A 11.11% over.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNDERPERFORMANCE_COLUMNS } from "../../api/analyses/columns.ts";
import { renderExportPageQuery } from "../../api/queries/export.ts";
import { startTestServer, type TestServer } from "../api/fixture.ts";

const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
const range = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 2 * 3_600_000).toISOString()}`;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const put = await fetch(`${server.url}/v1/turbines`, {
    method: "PUT",
    headers: { authorization: `Bearer ${server.operatorKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      turbines: ["A", "B"].map((id) => ({
        turbine_id: id,
        project: "Polder",
        model: "M",
        rated_kw: 1000,
        tags: { province: "Flevoland" },
      })),
    }),
  });
  expect(put.status).toBe(200);
  const readings = [];
  for (let slot = 0; slot < 12; slot++) {
    for (const [id, power] of [
      ["A", 500],
      ["B", 400],
    ] as const) {
      readings.push({
        turbine_id: id,
        time: T0 + slot * 600_000,
        power_kw: power,
        wind_speed_ms: 8,
        status: "producing",
      });
    }
  }
  const answer = await server.post({ readings });
  expect(answer.body.accepted).toBe(24);
});
afterAll(async () => {
  await server?.stop();
});

async function raw(path: string, key = server.readerKey): Promise<Response> {
  return fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
}

describe("GET /v1/analyses/*", () => {
  it("ranks underperformance as JSON", async () => {
    const answer = await server.get(`/v1/analyses/underperformance?${range}`);
    expect(answer.status).toBe(200);
    expect(answer.body.density_normalised).toBe(false);
    expect(
      answer.body.rows.map((r: any) => [r.rank, r.turbine_id, r.shortfall_pct, r.flagged]),
    ).toEqual([
      [1, "B", 11.11, false],
      [2, "A", -11.11, false],
    ]);
  });

  it("answers the same rows as CSV and as Parquet", async () => {
    const csv = await server.get(`/v1/analyses/underperformance?${range}&format=csv`);
    expect(csv.contentType).toContain("text/csv");
    const lines = String(csv.body).trim().split("\n");
    expect(lines[0]).toBe(UNDERPERFORMANCE_COLUMNS.join(","));
    expect(lines[1]).toMatch(/^1,B,Polder,M,2,0\.8,0\.9,0\.1,11\.11,false$/);

    const parquet = await raw(`/v1/analyses/underperformance?${range}&format=parquet`);
    expect(parquet.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const bytes = new Uint8Array(await parquet.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe("PAR1");
    const dir = mkdtempSync(join(tmpdir(), "gust-parquet-test-"));
    const instance = await DuckDBInstance.create(":memory:");
    try {
      writeFileSync(join(dir, "u.parquet"), bytes);
      const connection = await instance.connect();
      const rows = (
        await connection.runAndReadAll(
          `SELECT turbine_id, shortfall_pct, flagged FROM read_parquet('${join(dir, "u.parquet")}') ORDER BY rank`,
        )
      ).getRows();
      expect(rows).toEqual([
        ["B", 11.11, false],
        ["A", -11.11, false],
      ]);
    } finally {
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("power curve per model and availability per fleet, project and turbine", async () => {
    const curve = await server.get(`/v1/analyses/power-curve?${range}&model=M`);
    const model = curve.body.rows.filter((r: any) => r.level === "model");
    expect(model).toEqual([
      expect.objectContaining({ model: "M", bin_ms: 8, power_kw: 450, readings: 24 }),
    ]);
    const availability = await server.get(`/v1/analyses/availability?${range}&turbine_id=B`);
    expect(availability.body.rows.map((r: any) => [r.level, r.turbine_id ?? r.project])).toEqual([
      ["fleet", null],
      ["project", "Polder"],
      ["turbine", "B"],
    ]);
    expect(availability.body.rows[2]).toMatchObject({
      data_hours: 2,
      unknown_hours: 0,
      time_availability_pct: 100,
      energy_mwh: 0.8,
    });
  });

  it("energy with the emissions avoided at the documented factor, or at one given", async () => {
    // A: 500 kW x 2 h = 1.0 MWh, B: 0.8 MWh; fleet 1.8 MWh x 0.374 kg/kWh = 0.6732 t CO2.
    const energy = await server.get(`/v1/analyses/energy?${range}`);
    expect(energy.status).toBe(200);
    expect(energy.body).toMatchObject({
      row_unit: "turbine",
      grid_emission_factor_kg_per_kwh: 0.374,
      grid_emission_factor_source: expect.stringContaining("CBS"),
    });
    const fleet = (body: any) => body.rows.find((r: any) => r.level === "fleet");
    expect(fleet(energy.body)).toMatchObject({ energy_mwh: 1.8, emissions_avoided_t: 0.673 });
    // 1.8 MWh x 0.5 kg/kWh = 0.9 t; B alone 0.8 x 0.5 = 0.4 t.
    const given = await server.get(`/v1/analyses/energy?${range}&emission_factor=0.5`);
    expect(fleet(given.body).emissions_avoided_t).toBe(0.9);
    expect(given.body.grid_emission_factor_kg_per_kwh).toBe(0.5);
    const b = await server.get(`/v1/analyses/energy?${range}&emission_factor=0.5&turbine_id=B`);
    expect(fleet(b.body)).toMatchObject({ turbines: 1, emissions_avoided_t: 0.4 });
    const bad = await server.get(`/v1/analyses/energy?${range}&emission_factor=5`);
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain("emission_factor");
  });

  it("deficit periods: none where B is 11% under the curve (the line is 15%)", async () => {
    const json = await server.get(`/v1/analyses/deficits?${range}`);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ row_unit: "turbine", rows: [] });
    const csv = await server.get(`/v1/analyses/deficits?${range}&format=csv`);
    expect(String(csv.body).trim()).toBe(
      "turbine_id,project,model,cause,from,to,hours,actual_mwh,expected_mwh,lost_mwh,ratio,min_temperature_c",
    );
  });

  it("refuses turbine keys, missing keys and bad parameters with problems", async () => {
    expect((await server.get("/v1/analyses/availability", server.turbineKey("A"))).status).toBe(
      403,
    );
    expect((await raw("/v1/analyses/availability", "nope")).status).toBe(401);
    const backwards = await server.get(
      `/v1/analyses/power-curve?from=${new Date(T0).toISOString()}&to=${new Date(T0 - 1).toISOString()}`,
    );
    expect(backwards.status).toBe(422);
    expect(backwards.contentType).toContain("application/problem+json");
    const format = await server.get("/v1/analyses/power-curve?format=xlsx");
    expect(format.status).toBe(422);
    expect(JSON.stringify(format.body)).toContain("format");
    const long = await server.get("/v1/analyses/power-curve?from=2020-01-01T00:00:00Z");
    expect(long.status).toBe(422);
  });
});

describe("GET /v1/readings/export", () => {
  it("streams every reading of the period as CSV, and the same as Parquet", async () => {
    const csv = await server.get(`/v1/readings/export?${range}`);
    expect(csv.status).toBe(200);
    const lines = String(csv.body).trim().split("\n");
    expect(lines[0]).toBe("turbine_id,time,power_kw,wind_speed_ms,status,status_code,version");
    expect(lines).toHaveLength(25);
    expect(lines[1]).toBe(`A,${new Date(T0).toISOString()},500,8,producing,,1`);
    const parquet = await raw(`/v1/readings/export?${range}&format=parquet`);
    const dir = mkdtempSync(join(tmpdir(), "gust-export-test-"));
    const instance = await DuckDBInstance.create(":memory:");
    try {
      writeFileSync(join(dir, "r.parquet"), new Uint8Array(await parquet.arrayBuffer()));
      const [row] = (
        await (
          await instance.connect()
        ).runAndReadAll(
          `SELECT count(*), sum(power_kw) FROM read_parquet('${join(dir, "r.parquet")}')`,
        )
      ).getRows();
      expect(row).toEqual([24n, 10800]);
    } finally {
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await server.get("/v1/readings/export", server.turbineKey("A"))).status).toBe(403);
  });

  it("pages by (time, turbine_id) without losing or repeating a reading", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    try {
      const connection = await instance.connect();
      await connection.run(
        "CREATE TABLE readings AS SELECT 't' || (i % 3) AS turbine_id, epoch_ms(1790000000000 + (i // 3) * 60000) AS time, i * 1.0 AS power_kw, 5.0 AS wind_speed_ms, 'producing' AS status, NULL::INTEGER AS status_code, 1 AS version FROM range(7) t(i)",
      );
      const target = { dialect: "duckdb" as const, tableRef: "readings" };
      const span = { from: 1790000000000, to: 1790000000000 + 3_600_000 };
      const seen: string[] = [];
      let after: { time: number; turbineId: string } | undefined;
      for (;;) {
        const rows = (
          await connection.runAndReadAll(renderExportPageQuery(target, span, [], 2, after))
        ).getRowObjectsJS();
        for (const r of rows) seen.push(`${r.turbine_id}@${Number(r.time_ms)}`);
        if (rows.length < 2) break;
        const last = rows[rows.length - 1] as any;
        after = { time: Number(last.time_ms), turbineId: String(last.turbine_id) };
      }
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
    } finally {
      instance.closeSync();
    }
  });
});
