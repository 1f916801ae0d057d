// What an analyst's tools make of gust's files: Parquet read back with hyparquet (npm) for its
// logical types, CSV read by DuckDB's type sniffing, and charts as PNG.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata } from "hyparquet";
import { afterAll, describe, expect, it } from "vitest";
import { at, serverWithFixture } from "./fixture.ts";

const fixtureServer = serverWithFixture();
const dir = mkdtempSync(join(tmpdir(), "gust-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function download(path: string): Promise<Response> {
  const server = fixtureServer();
  return fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${server.readerKey}` },
  });
}

/** Each column's physical and logical type as hyparquet reads them from the file's footer. */
async function parquetTypes(response: Response): Promise<Record<string, unknown>> {
  const metadata = parquetMetadata(await response.arrayBuffer());
  return Object.fromEntries(
    metadata.schema
      .slice(1)
      .map((c) => [
        c.name,
        { type: c.type, ...(c.logical_type ? { logical: c.logical_type } : {}) },
      ]),
  );
}

const UTC_MICROS = {
  type: "INT64",
  logical: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" },
};
const range = `from=${at("10:00")}&to=${at("10:30")}&every=15m&by=turbine`;

describe("Parquet", () => {
  it("GET /v1/power: time a UTC timestamp, turbines an integer", async () => {
    const types = await parquetTypes(await download(`/v1/power?${range}&format=parquet`));
    expect(types.time).toEqual(UTC_MICROS);
    expect(types.turbines).toMatchObject({ type: "INT64" });
    expect(types.power_kw).toEqual({ type: "DOUBLE" });
  });

  it("GET /v1/readings/export: time a UTC timestamp", async () => {
    const types = await parquetTypes(
      await download(`/v1/readings/export?from=${at("10:00")}&to=${at("11:00")}&format=parquet`),
    );
    expect(types.time).toEqual(UTC_MICROS);
    expect(types.version).toMatchObject({ type: "INT64" });
  });
});

describe("CSV", () => {
  it("names its file, and DuckDB reads time as a UTC timestamp and counts as integers", async () => {
    const response = await download(`/v1/power?${range}&format=csv`);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="power.csv"');
    const file = join(dir, "power.csv");
    writeFileSync(file, await response.text());
    const instance = await DuckDBInstance.create(":memory:");
    try {
      const connection = await instance.connect();
      const described = await connection.runAndReadAll(
        `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_csv('${file}'))`,
      );
      expect(Object.fromEntries(described.getRows())).toEqual({
        time: "TIMESTAMP WITH TIME ZONE",
        group: "VARCHAR",
        power_kw: "BIGINT",
        energy_kwh: "BIGINT",
        turbines: "BIGINT",
      });
    } finally {
      instance.closeSync();
    }
  });
});

describe("charts as PNG", () => {
  it("GET /v1/power?format=png draws the bins without a browser", async () => {
    const response = await download(`/v1/power?${range}&format=png`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    const png = Buffer.from(await response.arrayBuffer());
    expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    // IHDR: width and height, big-endian, at bytes 16 and 20; drawn at twice the chart's size.
    expect(png.readUInt32BE(16)).toBeGreaterThan(1440);
    expect(png.readUInt32BE(20)).toBeGreaterThan(560);
  });
});
