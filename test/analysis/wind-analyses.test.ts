// The wind analyses on a hand-computed fixture in a real DuckDB table: every expected figure
// below is worked out by hand in the comments, not by the code under test.
//
//   period: 2 hours from T0, readings every 10 minutes (12 slots); model M rated 1000 kW
//   A (project P1, Flevoland)  slots 0-5  producing 400 kW, wind 7.2 at -10 °C and a pressure
//                                          chosen so that rho = 1.225 x 1.05^3: v_n = 7.56 (bin 15)
//                              slots 6-8  producing 800 kW, wind 10.0, no T/p (bin 20)
//                              slot 9     producing 1000 kW, wind 12.1 (bin 24)
//                              slots 10-11 fault, wind 7.6 (bin 15), 0 kW
//   B (project P1, Flevoland)  slots 0-3  producing 300 kW, wind 7.6 (bin 15)
//                              slot 4     maintenance, wind 10.2 (bin 20), 0 kW
//                              slot 5     curtailed 500 kW, wind 10.1 (bin 20)
//                              slots 6-11 nothing (one hour unknown)
//   C (project P2, Groningen)  slots 0-1  idle, wind 2.0, 0 kW
//                              slots 2-11 producing 900 kW, wind 10.1 (bin 20)
//   D (project P2, Groningen)  registered, never reported
//
//   Bins are centred on multiples of 0.5 m/s (IEC 61400-12-1): bin i is [0.5 i - 0.25, 0.5 i + 0.25).
//   Reference curve of M (producing readings pooled):
//     bin 15: A 6 x 400 + B 4 x 300 = 3600 kW over 10 -> 360 kW; wind (6 x 7.56 + 4 x 7.6)/10 = 7.576
//     bin 20: A 3 x 800 + C 10 x 900 = 11400 over 13 -> 876.923 kW; wind (30 + 101)/13 = 10.0769
//     bin 24: A 1 x 1000 -> 1000 kW, 10 minutes of data: thin (< 30 minutes)
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  analyseAll,
  availabilityAnalysis,
  powerCurveAnalysis,
  type WindAnalyses,
} from "../../api/analyses/run.ts";
import type { AnalysisSource, TurbineFacts } from "../../api/analyses/scan.ts";
import { duckDbSource } from "../support/scada-duckdb.ts";

const T0 = Date.UTC(2026, 0, 1);
const SLOT = 600_000;
const range = { from: T0, to: T0 + 12 * SLOT };
// rho = p / (R T) = 1.225 x 1.05^3 at -10 °C, so that (rho / 1.225)^(1/3) = 1.05.
const COLD_PRESSURE_HPA = (1.225 * 1.05 ** 3 * 287.05 * 263.15) / 100;

const turbine = (id: string, project: string, province: string): TurbineFacts => ({
  turbine_id: id,
  project,
  model: "M",
  rated_kw: 1000,
  tags: { province },
});
const REGISTRY = [
  turbine("A", "P1", "Flevoland"),
  turbine("B", "P1", "Flevoland"),
  turbine("C", "P2", "Groningen"),
  turbine("D", "P2", "Groningen"),
];

type Row = [string, number, string, number, number, number | null, number | null];
const rows: Row[] = [];
const put = (
  id: string,
  slots: number[],
  status: string,
  power: number,
  wind: number,
  t: number | null = null,
  p: number | null = null,
) => {
  for (const slot of slots) rows.push([id, slot, status, power, wind, t, p]);
};
put("A", [0, 1, 2, 3, 4, 5], "producing", 400, 7.2, -10, COLD_PRESSURE_HPA);
put("A", [6, 7, 8], "producing", 800, 10.0);
put("A", [9], "producing", 1000, 12.1);
put("A", [10, 11], "fault", 0, 7.6);
put("B", [0, 1, 2, 3], "producing", 300, 7.6);
put("B", [4], "maintenance", 0, 10.2);
put("B", [5], "curtailed", 500, 10.1);
put("C", [0, 1], "idle", 0, 2.0);
put("C", [2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "producing", 900, 10.1);

let instance: DuckDBInstance;
let withMeasures: AnalysisSource;
let withoutMeasures: AnalysisSource;
let all: WindAnalyses;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const values = rows
    .map(
      ([id, slot, status, power, wind, t, p]) =>
        `('${id}', epoch_ms(${T0 + slot * SLOT}), ${power}, ${wind}, '${status}', NULL, 1, ${t ?? "NULL"}, ${p ?? "NULL"})`,
    )
    .join(",\n");
  // One relation with the density measures stored, one where they were never stored.
  await connection.run(`CREATE TABLE readings (turbine_id VARCHAR, time TIMESTAMP,
    power_kw DOUBLE, wind_speed_ms DOUBLE, status VARCHAR, status_code INTEGER, version BIGINT,
    ambient_temperature_c DOUBLE, ambient_pressure_hpa DOUBLE)`);
  await connection.run(`INSERT INTO readings VALUES ${values}`);
  await connection.run(
    "CREATE TABLE bare AS SELECT * EXCLUDE (ambient_temperature_c, ambient_pressure_hpa) FROM readings",
  );
  withMeasures = duckDbSource(connection, "readings");
  withoutMeasures = duckDbSource(connection, "bare");
  all = await analyseAll(withMeasures, REGISTRY, range);
});
afterAll(() => instance?.closeSync());

describe("IEC power curve", () => {
  it("normalises wind to 1.225 kg/m3 where temperature and pressure were measured", () => {
    expect(all.densityNormalised).toBe(true);
    const a15 = all.powerCurves.find((r) => r.turbine_id === "A" && r.bin_ms === 7.5);
    // 7.2 x 1.05 = 7.56 lands in [7.5, 8.0); without the normalisation it would be [7.0, 7.5).
    expect(a15?.wind_ms).toBeCloseTo(7.56, 3);
    expect(a15?.power_kw).toBe(400);
    expect(a15?.readings).toBe(6);
  });

  it("pools the model's producing readings per 0.5 m/s bin and marks thin bins", () => {
    const model = all.powerCurves.filter((r) => r.level === "model");
    expect(model.map((r) => r.bin_ms)).toEqual([7.5, 10, 12]);
    const [b15, b20, b24] = model;
    expect(b15).toMatchObject({ power_kw: 360, readings: 10, data_minutes: 100, thin: false });
    expect(b15?.wind_ms).toBeCloseTo(7.576, 3);
    expect(b20?.power_kw).toBeCloseTo(876.92, 2);
    expect(b20?.wind_ms).toBeCloseTo(10.0769, 3);
    expect(b20).toMatchObject({ readings: 13, data_minutes: 130, thin: false });
    expect(b24).toMatchObject({ power_kw: 1000, readings: 1, data_minutes: 10, thin: true });
    // Fault, maintenance, curtailed and idle readings never enter a curve.
    expect(model.reduce((s, r) => s + r.readings, 0)).toBe(6 + 4 + 4 + 10);
  });

  it("filters by turbine, and without the measure columns uses the measured wind", async () => {
    const b = await powerCurveAnalysis(withMeasures, REGISTRY, { ...range, turbine_id: "B" });
    expect(b.map((r) => [r.level, r.turbine_id, r.bin_ms, r.power_kw])).toEqual([
      ["turbine", "B", 7.5, 300],
    ]);
    const bare = await powerCurveAnalysis(withoutMeasures, REGISTRY, { ...range, turbine_id: "A" });
    expect(bare[0]).toMatchObject({ bin_ms: 7, wind_ms: 7.2, density_normalised: false });
  });
});

describe("underperformance against the model's reference", () => {
  it("ranks by shortfall with its MWh, flagging only with a day of producing data", () => {
    const ranking = all.underperformance.map((r) => [r.turbine_id, r.shortfall_pct]);
    // B: 4 x 300 = 1200 against 4 x 360 = 1440: 16.67% short, (1440 - 1200) kW x 4/6 h... per
    //    reading 1/6 h: 240 x 1/6 / 1000 = 0.04 MWh.
    // A: 2400 + 2400 + 1000 = 5800 against 6 x 360 + 3 x 876.923 + 1000 = 5790.77: -0.16%.
    // C: 9000 against 10 x 876.923 = 8769.23: -2.63%.
    expect(ranking).toEqual([
      ["B", 16.67],
      ["A", -0.16],
      ["C", -2.63],
    ]);
    const b = all.underperformance[0];
    expect(b?.shortfall_mwh).toBeCloseTo(0.04, 3);
    expect(b?.expected_mwh).toBeCloseTo(0.24, 3);
    // 4 readings of 10 minutes: 0.67 h producing, under the 24 h a flag needs.
    expect(b?.flagged).toBe(false);
  });
});

describe("availability and lost energy", () => {
  const row = (level: string, key: string | null) =>
    all.availability.find(
      (r) => r.level === level && (level === "project" ? r.project : r.turbine_id) === key,
    );

  it("time-based, with periods without data reported as unknown", () => {
    // A: 2 h of data, 2 fault readings = 1/3 h: 1 - (1/3)/2 = 83.33%.
    expect(row("turbine", "A")).toMatchObject({
      data_hours: 2,
      unknown_hours: 0,
      fault_hours: 0.33,
      time_availability_pct: 83.33,
    });
    // B: 1 h of data, 1 h unknown, 1/6 h maintenance: 1 - (1/6)/1 = 83.33%.
    expect(row("turbine", "B")).toMatchObject({
      data_hours: 1,
      unknown_hours: 1,
      maintenance_hours: 0.17,
      curtailed_hours: 0.17,
      time_availability_pct: 83.33,
    });
    expect(row("turbine", "C")?.time_availability_pct).toBe(100);
    // D never reported: all unknown, no availability rather than 0 or 100.
    expect(row("turbine", "D")).toMatchObject({ unknown_hours: 2, time_availability_pct: null });
    // Fleet: 8 turbine-hours, 5 with data, 1/3 + 1/6 = 1/2 down: 1 - 0.5/5 = 90%.
    expect(row("fleet", null)).toMatchObject({
      period_hours: 8,
      data_hours: 5,
      unknown_hours: 3,
      time_availability_pct: 90,
    });
  });

  it("values each lost reading at the reference power for its own wind", () => {
    // A's faults at 7.6 m/s (bin 15, 360 kW): 2 x 360 x 1/6 h = 0.12 MWh.
    // A's energy: 5800 kW x 1/6 h = 0.96667 MWh; production-based 0.96667 / 1.08667 = 88.96%.
    expect(row("turbine", "A")).toMatchObject({
      lost_fault_mwh: 0.12,
      energy_mwh: 0.967,
      production_availability_pct: 88.96,
    });
    // B's maintenance at 10.2 m/s (bin 20): 876.923 x 1/6 = 0.14615 MWh; its curtailed reading
    // at 10.1 m/s made 500 of 876.923 kW: (376.923) x 1/6 = 0.06282 MWh. Energy 1700/6 = 0.28333;
    // production-based (curtailment outside): 0.28333 / (0.28333 + 0.14615) = 65.97%.
    expect(row("turbine", "B")).toMatchObject({
      lost_maintenance_mwh: 0.146,
      lost_curtailment_mwh: 0.063,
      energy_mwh: 0.283,
      production_availability_pct: 65.97,
    });
    // Project P1 adds A and B: 1.25 MWh, lost 0.12 + 0.14615 = 0.26615: 1.25 / 1.51615 = 82.45%.
    expect(row("project", "P1")).toMatchObject({
      energy_mwh: 1.25,
      production_availability_pct: 82.45,
      time_availability_pct: 83.33,
    });
  });

  it("filters by project", async () => {
    const rows = await availabilityAnalysis(withMeasures, REGISTRY, { ...range, project: "P2" });
    expect(rows.filter((r) => r.level === "turbine").map((r) => r.turbine_id)).toEqual(["C", "D"]);
  });
});

describe("energy and capacity factor", () => {
  it("per turbine, project, province and fleet from the registry's rated power", () => {
    const cf = (level: string, name: string) =>
      all.energy.find((r) => r.level === level && r.name === name)?.capacity_factor;
    // A: 0.96667 MWh / (1 MW x 2 h) = 0.4833; P1: 1.25 / (2 MW x 2 h) = 0.3125;
    // Groningen (C, D): 1.5 / 4 = 0.375; fleet: 2.75 / 8 = 0.34375.
    expect(cf("turbine", "A")).toBeCloseTo(0.4833, 4);
    expect(cf("project", "P1")).toBe(0.3125);
    expect(cf("province", "Groningen")).toBe(0.375);
    expect(cf("fleet", "fleet")).toBeCloseTo(0.3438, 4);
    expect(all.energy.find((r) => r.name === "D")).toMatchObject({
      energy_mwh: 0,
      data_coverage: 0,
    });
  });
});
