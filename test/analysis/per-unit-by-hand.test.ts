// The analyses on rows of different sizes and mixed reporting intervals, against figures worked
// out by hand below (not by the code under test), in a real DuckDB table.
//
//   period: 2 hours from T0; model M, one turbine of it rated 2000 kW; all wind 8.2 m/s (bin 16)
//   T1  a turbine, rated 2000    every 10 min, minutes 0-50: producing 1000 kW
//   F   a project of 3 (tag turbines=3), rated 6000
//                                every 10 min, minutes 0-50: producing 2700 kW
//                                every 10 min, minutes 60-110: fault, 0 kW
//   T2  a turbine, rated 2000    every 10 min, minutes 0-40: producing 1000 kW; then every
//                                minute, 50-59: producing 800 kW (the logger switched to 1 min)
//
//   Each reading stands for the shorter step to its neighbours:
//     T1: 6 x 10 min = 1 h, 1000 kWh;  F: 12 x 10 min = 2 h (1 h producing, 2700 kWh)
//     T2: 0, 10, 20, 30, 40: 10 min each (40's next step is 10); 50: prev 10, next 1: 1 min;
//         51-59: 1 min each: 5 x 10 + 10 x 1 = 60 min; 5/6 x 1000 + 10/60 x 800 = 966.667 kWh.
//     (The shortest mean step of any day, the rule before: (59 - 0) / 14 = 4.21 min for all 15
//      readings: 63.2 minutes, with the 10-minute readings' energy cut to 42%.)
//   Per kW rated, producing: T1 1000/2000 = 0.5, F 2700/6000 = 0.45, T2 966.667/2000 = 0.48333
//   kWh per kW over 1 h each; the model's reference in bin 16 = (0.5 + 0.45 + 0.48333) / 3 h
//   = 0.477778 kW/kW; one turbine of M is 2000 kW (F: 6000 / 3), so the model curve reads
//   955.556 kW. (Averaging kW instead: a 6000 kW farm lifts the "turbine" curve to 1303.7 kW.)
//   Expected energy: T1 0.477778 x 2000 x 1 h = 955.556 kWh: shortfall 1 - 1000/955.556 = -4.65%
//                    F  0.477778 x 6000 x 1 h = 2866.667 kWh: 1 - 2700/2866.667 = 5.81%
//                    T2 955.556 kWh: 1 - 966.667/955.556 = -1.16%
//   F's fault hour lost 0.477778 x 6000 x 1 h = 2866.667 kWh; production-based availability
//   2700 / (2700 + 2866.667) = 48.50%; time-based 1 - 1/2 = 50%.
//   Fleet: data 1 + 2 + 1 = 4 h, down 1 h: 75%. Capacity factor T2: 0.966667 MWh / (2 MW x 2 h)
//   = 0.2417; F: 2.7 / 12 = 0.225.
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyseAll, type WindAnalyses } from "../../api/analyses/run.ts";
import type { TurbineFacts } from "../../api/analyses/scan.ts";
import { duckDbSource } from "../support/scada-duckdb.ts";

const T0 = Date.UTC(2026, 2, 1);
const MINUTE = 60_000;
const range = { from: T0, to: T0 + 120 * MINUTE };

const REGISTRY: TurbineFacts[] = [
  { turbine_id: "T1", project: "P", model: "M", rated_kw: 2000, tags: {} },
  { turbine_id: "F", project: "F", model: "M", rated_kw: 6000, tags: { turbines: "3" } },
  { turbine_id: "T2", project: "P", model: "M", rated_kw: 2000, tags: {} },
];

const rows: [string, number, string, number][] = [];
for (let m = 0; m <= 50; m += 10) rows.push(["T1", m, "producing", 1000]);
for (let m = 0; m <= 50; m += 10) rows.push(["F", m, "producing", 2700]);
for (let m = 60; m <= 110; m += 10) rows.push(["F", m, "fault", 0]);
for (let m = 0; m <= 40; m += 10) rows.push(["T2", m, "producing", 1000]);
for (let m = 50; m <= 59; m += 1) rows.push(["T2", m, "producing", 800]);

let instance: DuckDBInstance;
let all: WindAnalyses;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE readings (turbine_id VARCHAR, time TIMESTAMP,
    power_kw DOUBLE, wind_speed_ms DOUBLE, status VARCHAR, status_code INTEGER, version BIGINT)`);
  const values = rows
    .map(
      ([id, minute, status, power]) =>
        `('${id}', epoch_ms(${T0 + minute * MINUTE}), ${power}, 8.2, '${status}', NULL, 1)`,
    )
    .join(",\n");
  await connection.run(`INSERT INTO readings VALUES ${values}`);
  all = await analyseAll(duckDbSource(connection), REGISTRY, range);
});
afterAll(() => instance?.closeSync());

describe("references per kW of rated power, and readings of mixed intervals", () => {
  it("says the rows mix turbines and projects", () => {
    expect(all.rows.row_unit).toBe("mixed");
  });

  it("draws the model's curve per kW rated, in kW of one turbine", () => {
    const model = all.powerCurves.filter((r) => r.level === "model");
    expect(model).toHaveLength(1);
    expect(model[0]).toMatchObject({ bin_ms: 8, readings: 27, data_minutes: 180 });
    expect(model[0]?.power_per_rated).toBeCloseTo(0.4778, 4);
    expect(model[0]?.power_kw).toBeCloseTo(955.56, 2);
    const t2 = all.powerCurves.find((r) => r.turbine_id === "T2");
    expect(t2?.power_kw).toBeCloseTo(966.67, 2);
    expect(t2?.data_minutes).toBe(60);
    expect(all.powerCurves.find((r) => r.turbine_id === "F")?.power_kw).toBe(2700);
  });

  it("ranks each row against the reference times its own rating", () => {
    const by = new Map(all.underperformance.map((r) => [r.turbine_id, r]));
    expect(all.underperformance.map((r) => r.turbine_id)).toEqual(["F", "T2", "T1"]);
    expect(by.get("F")?.shortfall_pct).toBe(5.81);
    expect(by.get("F")?.expected_mwh).toBeCloseTo(2.867, 3);
    expect(by.get("T2")?.shortfall_pct).toBe(-1.16);
    expect(by.get("T2")?.actual_mwh).toBeCloseTo(0.967, 3);
    expect(by.get("T1")?.shortfall_pct).toBe(-4.65);
  });

  it("counts each reading for its own time in availability and energy", () => {
    const turbine = (id: string) =>
      all.availability.find((r) => r.level === "turbine" && r.turbine_id === id);
    expect(turbine("T2")).toMatchObject({ data_hours: 1, unknown_hours: 1, energy_mwh: 0.967 });
    expect(turbine("F")).toMatchObject({
      data_hours: 2,
      fault_hours: 1,
      time_availability_pct: 50,
      lost_fault_mwh: 2.867,
      production_availability_pct: 48.5,
    });
    expect(all.availability.find((r) => r.level === "fleet")).toMatchObject({
      data_hours: 4,
      time_availability_pct: 75,
    });
    const cf = (name: string) =>
      all.energy.find((r) => r.level === "turbine" && r.name === name)?.capacity_factor;
    expect(cf("T2")).toBe(0.2417);
    expect(cf("F")).toBe(0.225);
  });
});
