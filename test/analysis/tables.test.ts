// The analysis tables against hand-computed values on the fixture (see fixture.ts).
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runAnalysis } from "../../notebooks/lib/run-analysis.ts";
import {
  completeness,
  fleetPower,
  powerCurve,
  projects,
  provinces,
} from "../../notebooks/lib/tables.ts";
import { startTestServer } from "../api/fixture.ts";
import { at, serverWithFixture } from "./fixture.ts";

const fixtureServer = serverWithFixture();

const range = () => ({ from: at("10:00"), to: at("10:30") });

describe("analysis tables", () => {
  it("fleet power counts the twice-as-often turbine once per bin", async () => {
    const table = await fleetPower(fixtureServer().store, range(), "15m");
    expect(table.objects()).toEqual([
      { time: new Date(at("10:00")).toISOString(), power_mw: 1.2, energy_mwh: 0.3, turbines: 2 },
      { time: new Date(at("10:15")).toISOString(), power_mw: 0.9, energy_mwh: 0.225, turbines: 2 },
    ]);
  });

  it("projects: mean power, binned energy and capacity factor from the rated_kw tag", async () => {
    const table = await projects(fixtureServer().store, range());
    const byId = Object.fromEntries(table.objects().map((row: any) => [row.turbine_id, row]));
    // A: mean of 100 200 300 400 400 400 = 300 kW of 3000; in 5-minute bins its energy is
    // (100+200+300+400+400+400) / 12 = 150 kWh. B: 1000, 1000, 500 in three 5-minute bins:
    // 2500 / 12 = 208.3 kWh, mean 833.3 kW of 2000.
    expect(byId.A).toMatchObject({
      project: "Polder",
      province: "Flevoland",
      readings: 6,
      mean_mw: 0.3,
      energy_mwh: 0.15,
      capacity_factor: 0.1,
    });
    expect(byId.B).toMatchObject({
      project: "Wad",
      readings: 3,
      mean_mw: 0.833,
      energy_mwh: 0.208,
      capacity_factor: 0.417,
    });
  });

  it("provinces roll up the projects", async () => {
    const table = provinces(await projects(fixtureServer().store, range()));
    expect(table.objects().map((r: any) => [r.province, r.projects, r.rated_mw])).toEqual([
      ["Groningen", 1, 2],
      ["Flevoland", 1, 3],
    ]);
  });

  it("the empirical power curve bins by wind speed", async () => {
    const table = await powerCurve(fixtureServer().store, range());
    // wind 5 -> A 100/3000; 6 -> 200/3000; 7 -> A 300/3000 and B 500/2000; 8 -> 400/3000; 9 -> B 1000/2000
    expect(table.objects()).toEqual([
      { wind_ms: 5.5, per_unit: 0.033, readings: 1 },
      { wind_ms: 6.5, per_unit: 0.067, readings: 1 },
      { wind_ms: 7.5, per_unit: 0.175, readings: 2 },
      { wind_ms: 8.5, per_unit: 0.133, readings: 3 },
      { wind_ms: 9.5, per_unit: 0.5, readings: 2 },
    ]);
  });

  it("completeness: expected versus received, and gaps", async () => {
    // Add a gap to B: nothing between 10:20 and 11:20, then one reading.
    await fixtureServer().post({
      turbine_id: "B",
      time: at("11:20"),
      power_kw: 800,
      wind_speed_ms: 8,
      tags: { rated_kw: "2000" },
    });
    const table = await completeness(fixtureServer().store, { from: at("10:00"), to: at("11:30") });
    const byId = Object.fromEntries(table.objects().map((row: any) => [row.turbine_id, row]));
    expect(byId.B).toMatchObject({
      readings: 4,
      interval_s: 600,
      expected: 9,
      gaps: 1,
      gap_minutes: 50,
    });
    expect(byId.A).toMatchObject({ readings: 6, interval_s: 300, expected: 18, gaps: 0 });
  });

  it("refuses an empty store with what to do next", async () => {
    const empty = await startTestServer();
    try {
      await expect(
        runAnalysis({ store: empty.store, out: new Writable({ write: (_c, _e, done) => done() }) }),
      ).rejects.toThrow(/npm run simulate/);
    } finally {
      await empty.stop();
    }
  });
});
