// The analysis tables against hand-computed values on the fixture (see fixture.ts).
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runAnalysis } from "../../notebooks/lib/run-analysis.ts";
import {
  binFor,
  completeness,
  fleetPower,
  powerCurve,
  projectBinFor,
  projectPower,
  projects,
  provinces,
  turbines,
} from "../../notebooks/lib/tables.ts";
import { startTestServer } from "../api/fixture.ts";
import { at, serverWithFixture } from "./fixture.ts";

const fixtureServer = serverWithFixture();

const range = () => ({ from: at("10:00"), to: at("10:30") });
const projectsIn = async (r: { from: number; to: number }) => {
  const store = fixtureServer().store;
  return projects(await turbines(store, r), await projectPower(store, r));
};

describe("analysis tables", () => {
  it("bins projects by day beyond a week, as the fleet otherwise", () => {
    const DAY = 86_400_000;
    for (const days of [0.25, 1, 3, 7]) {
      const range = { from: 0, to: days * DAY };
      expect(projectBinFor(range), `${days} days`).toBe(binFor(range));
    }
    expect(binFor({ from: 0, to: 30 * DAY })).toBe("1h");
    expect(projectBinFor({ from: 0, to: 30 * DAY })).toBe("1d");
    expect(projectBinFor({ from: 0, to: 7 * DAY + 1 })).toBe("1d");
  });

  it("fleet power counts the twice-as-often turbine once per bin", async () => {
    const table = await fleetPower(fixtureServer().store, range(), "15m");
    expect(table.objects()).toEqual([
      { time: new Date(at("10:00")).toISOString(), power_mw: 1.2, energy_mwh: 0.3, turbines: 2 },
      { time: new Date(at("10:15")).toISOString(), power_mw: 0.9, energy_mwh: 0.225, turbines: 2 },
    ]);
  });

  it("projects: mean power, binned energy and capacity factor from the rated_kw tag", async () => {
    const table = await projectsIn(range());
    const byProject = Object.fromEntries(table.objects().map((row: any) => [row.project, row]));
    // A: mean of 100 200 300 400 400 400 = 300 kW of 3000; in 5-minute bins its energy is
    // (100+200+300+400+400+400) / 12 = 150 kWh. B: 1000, 1000, 500 in three 5-minute bins:
    // 2500 / 12 = 208.3 kWh, mean 833.3 kW of 2000.
    expect(byProject.Polder).toMatchObject({
      province: "Flevoland",
      turbines: 1,
      readings: 6,
      mean_mw: 0.3,
      energy_mwh: 0.15,
      capacity_factor: 0.1,
    });
    expect(byProject.Wad).toMatchObject({
      turbines: 1,
      readings: 3,
      mean_mw: 0.833,
      energy_mwh: 0.208,
      capacity_factor: 0.417,
    });
  });

  it("projects add up their turbines; a turbine without a registered project is its own", async () => {
    const duo = { project: "Duo", tags: { province: "Utrecht" }, rated_kw: 2000 };
    const registered = await fetch(`${fixtureServer().url}/v1/turbines`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${fixtureServer().operatorKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        turbines: [
          { turbine_id: "duo-1", ...duo, latitude: 52.0, longitude: 5.0 },
          { turbine_id: "duo-2", ...duo, latitude: 52.2, longitude: 5.2 },
        ],
      }),
    });
    expect(registered.status).toBe(200);
    const reading = (turbine_id: string, hhmm: string, power_kw: number) => ({
      turbine_id,
      time: at(hhmm),
      power_kw,
      wind_speed_ms: 8,
    });
    // "solo" is not registered: it has no project, so it is its own.
    await fixtureServer().post({
      readings: [
        reading("duo-1", "12:00", 1000),
        reading("duo-1", "12:10", 1000),
        reading("duo-2", "12:00", 400),
        reading("duo-2", "12:05", 600),
        reading("solo", "12:00", 50),
      ],
    });
    const table = await projectsIn({ from: at("12:00"), to: at("12:30") });
    const byProject = Object.fromEntries(table.objects().map((row: any) => [row.project, row]));
    // Means 1000 + 500 kW of 4000 rated; 5-minute bins: (1000 + 1000 + 400 + 600) / 12 = 250 kWh.
    expect(byProject.Duo).toMatchObject({
      province: "Utrecht",
      turbines: 2,
      readings: 4,
      rated_kw: 4000,
      mean_mw: 1.5,
      energy_mwh: 0.25,
      capacity_factor: 0.375,
    });
    expect(byProject.Duo.lat).toBeCloseTo(52.1);
    expect(byProject.solo).toMatchObject({ turbines: 1, mean_mw: 0.05, capacity_factor: null });
  });

  it("provinces roll up the projects", async () => {
    const table = provinces(await projectsIn(range()));
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
    // A fell silent after 10:25: the 65 minutes to the range's end are a gap (60 lost).
    expect(byId.A).toMatchObject({
      readings: 6,
      interval_s: 300,
      expected: 18,
      gaps: 1,
      gap_minutes: 60,
    });
    // The same range seen from 09:00: both turbines miss its first hour.
    const earlier = await completeness(fixtureServer().store, {
      from: at("09:00"),
      to: at("10:30"),
    });
    expect(
      earlier
        .orderby("turbine_id")
        .objects()
        .map((row: any) => [row.turbine_id, row.gaps, row.gap_minutes]),
    ).toEqual([
      ["A", 1, 55],
      ["B", 1, 50],
    ]);
  });

  it("a range without readings gives empty tables with their columns, and the analysis says where the data is", async () => {
    const empty = { from: at("00:00"), to: at("01:00") };
    const store = fixtureServer().store;
    const fleet = await fleetPower(store, empty);
    expect([fleet.numRows(), fleet.columnNames()]).toEqual([
      0,
      ["time", "power_mw", "energy_mwh", "turbines"],
    ]);
    const projectTable = await projectsIn(empty);
    expect(projectTable.numRows()).toBe(0);
    expect(projectTable.columnNames()).toContain("capacity_factor");
    expect(provinces(projectTable).numRows()).toBe(0);
    expect((await powerCurve(store, empty)).numRows()).toBe(0);
    expect((await completeness(store, empty)).columnNames()).toContain("received_pct");
    const silent = new Writable({ write: (_c, _e, done) => done() });
    await expect(runAnalysis({ store, ...empty, out: silent })).rejects.toThrow(
      new RegExp(`No readings from .*; the store holds ${new Date(at("10:00")).toISOString()} to`),
    );
    await expect(
      runAnalysis({ store, from: at("11:00"), to: at("10:00"), out: silent }),
    ).rejects.toThrow(/the start must be before the end/);
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
