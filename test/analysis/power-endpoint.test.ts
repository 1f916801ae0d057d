// GET /v1/power against hand-computed values (see fixture.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { at, serverWithFixture } from "./fixture.ts";

const fixtureServer = serverWithFixture();

const iso = (ms: number) => new Date(ms).toISOString();
const power = (query: string) => fixtureServer().get(`/v1/power?${query}`);

describe("GET /v1/power", () => {
  it("sums per-turbine means per bin, so the twice-as-often turbine counts once", async () => {
    const answer = await power(`from=${iso(at("10:00"))}&to=${iso(at("11:00"))}&every=15m`);
    expect(answer.status).toBe(200);
    expect(answer.body.bins).toEqual([
      { time: iso(at("10:00")), group: null, power_kw: 1200, energy_kwh: 300, turbines: 2 },
      { time: iso(at("10:15")), group: null, power_kw: 900, energy_kwh: 225, turbines: 2 },
    ]);
  });

  it("puts a reading on a bin edge in the bin it starts, and leaves gaps out", async () => {
    const answer = await power(`from=${iso(at("10:15"))}&to=${iso(at("10:30"))}&every=5m`);
    expect(answer.body.bins.map((b: any) => [b.time, b.power_kw, b.turbines])).toEqual([
      [iso(at("10:15")), 400, 1],
      [iso(at("10:20")), 900, 2],
      [iso(at("10:25")), 400, 1],
    ]);
  });

  it("groups by a dimension, and by hour", async () => {
    const answer = await power(
      `from=${iso(at("10:00"))}&to=${iso(at("11:00"))}&every=1h&by=province`,
    );
    expect(answer.body.bins).toEqual([
      { time: iso(at("10:00")), group: "Flevoland", power_kw: 300, energy_kwh: 300, turbines: 1 },
      {
        time: iso(at("10:00")),
        group: "Groningen",
        power_kw: 833.333,
        energy_kwh: 833.333,
        turbines: 1,
      },
    ]);
  });

  it("reads times with offsets as UTC instants", async () => {
    const day = iso(at("00:00")).slice(0, 10);
    // 11:00 in Amsterdam's winter time is 10:00 UTC.
    const from = encodeURIComponent(`${day}T11:00:00+01:00`);
    const answer = await power(`from=${from}&to=${at("10:15")}&every=15m`);
    expect(answer.body.bins.map((b: any) => [b.time, b.power_kw])).toEqual([
      [iso(at("10:00")), 1200],
    ]);
    const hourEarlier = encodeURIComponent(`${day}T10:00:00+01:00`);
    expect((await power(`from=${hourEarlier}&to=${at("10:00")}&every=15m`)).body.bins).toEqual([]);
  });

  it("answers an empty range with no bins, and CSV when asked", async () => {
    expect((await power(`from=${at("12:00")}&to=${at("13:00")}`)).body.bins).toEqual([]);
    const csv = await power(
      `from=${at("10:00")}&to=${at("10:30")}&every=15m&by=turbine&format=csv`,
    );
    expect(csv.contentType).toMatch(/^text\/csv/);
    expect(csv.body).toBe(
      `time,group,power_kw,energy_kwh,turbines\n${iso(at("10:00"))},A,200,50,1\n${iso(at("10:00"))},B,1000,250,1\n${iso(at("10:15"))},A,400,100,1\n${iso(at("10:15"))},B,500,125,1\n`,
    );
  });

  it("answers the same bins as Parquet", async () => {
    const server = fixtureServer();
    const response = await fetch(
      `${server.url}/v1/power?from=${at("10:00")}&to=${at("10:30")}&every=15m&by=turbine&format=parquet`,
      { headers: { authorization: `Bearer ${server.readerKey}` } },
    );
    expect(response.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const dir = mkdtempSync(join(tmpdir(), "gust-power-parquet-"));
    const instance = await DuckDBInstance.create(":memory:");
    try {
      const file = join(dir, "power.parquet");
      writeFileSync(file, new Uint8Array(await response.arrayBuffer()));
      const rows = (
        await (
          await instance.connect()
        ).runAndReadAll(
          `SELECT "group", power_kw, energy_kwh FROM read_parquet('${file}') ORDER BY time, "group"`,
        )
      ).getRows();
      expect(rows).toEqual([
        ["A", 200, 50],
        ["B", 1000, 250],
        ["A", 400, 100],
        ["B", 500, 125],
      ]);
    } finally {
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses bad parameters and huge ranges with problem documents", async () => {
    const bad = await power("every=2m&by=country");
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: any) => e.pointer).sort()).toEqual(["/by", "/every"]);
    const huge = await power(`from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&every=5m`);
    expect(huge.status).toBe(422);
    expect(huge.body.detail).toMatch(/coarser every/);
    expect((await power(`from=${at("11:00")}&to=${at("10:00")}`)).status).toBe(422);
    expect((await fixtureServer().get("/v1/power", fixtureServer().turbineKey("A"))).status).toBe(
      403,
    );
  });
});

describe("a range whose from is not before its to", () => {
  it.each(["/v1/power", "/v1/readings/export", "/v1/analyses/power-curve", "/v1/alarms"])(
    "is a 422 pointing at /from on %s",
    async (path) => {
      const reversedAndEmpty: [number, number][] = [
        [at("11:00"), at("10:00")],
        [at("10:00"), at("10:00")],
      ];
      for (const [from, to] of reversedAndEmpty) {
        const answer = await fixtureServer().get(`${path}?from=${iso(from)}&to=${iso(to)}`);
        expect(answer.status).toBe(422);
        expect(answer.body.errors.map((e: any) => e.pointer)).toEqual(["/from"]);
      }
    },
  );
});
