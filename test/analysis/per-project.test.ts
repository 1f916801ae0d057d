// The analyses in the default mode (`npm start`): one turbine_id is a whole project, rated at the
// farm's total. The whole Dutch fleet (770 projects, 1 to 66 turbines each) replayed by the
// simulator's per-project physics for three days at 10-minute steps, long enough for every
// project to pass the 24 producing hours a flag needs, straight into a DuckDB table. Healthy, no
// project may be flagged; with one project planted 8% low, that one is flagged and no other.
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyseAll, type WindAnalyses } from "../../api/analyses/run.ts";
import type { TurbineFacts } from "../../api/analyses/scan.ts";
import { MIN_PRODUCING_HOURS } from "../../api/analyses/underperformance.ts";
import { generateFleet, type Project } from "../../simulator/fleet.ts";
import { projectEntry } from "../../simulator/fleet-registry.ts";
import { projectReading } from "../../simulator/project-reading.ts";
import { SyntheticWeather } from "../../simulator/weather/synthetic.ts";
import { createScadaTable, duckDbSource, ScadaAppender } from "../support/scada-duckdb.ts";

const STEP = 600_000;
const FROM = Date.UTC(2026, 9, 1);
const TO = FROM + 3 * 86_400_000;
const PLANTED_FACTOR = 0.92;

const fleet = generateFleet();
// The planted project: a multi-turbine farm of the model with the most projects.
const byModel = new Map<string, Project[]>();
for (const p of fleet) byModel.set(p.model.name, [...(byModel.get(p.model.name) ?? []), p]);
const common = [...byModel.values()].sort((a, b) => b.length - a.length)[0] as Project[];
const planted = common.find((p) => p.turbines > 3) as Project;

let instance: DuckDBInstance;
let healthy: WindAnalyses;
let withDefect: WindAnalyses;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const weather = new SyntheticWeather(1);
  await createScadaTable(connection, [], "healthy");
  await createScadaTable(connection, [], "planted");
  const appenders = {
    healthy: await ScadaAppender.open(connection, [], "healthy"),
    planted: await ScadaAppender.open(connection, [], "planted"),
  };
  const scada = (r: ReturnType<typeof projectReading>) => ({ ...r, status_code: 0, measures: {} });
  for (let time = FROM; time < TO; time += STEP) {
    const healthyBatch = [];
    const plantedBatch = [];
    for (const project of fleet) {
      const conditions = weather.at(project, time);
      const reading = scada(projectReading(project, conditions, time));
      healthyBatch.push(reading);
      plantedBatch.push(
        project === planted
          ? scada(projectReading(project, conditions, time, PLANTED_FACTOR))
          : reading,
      );
    }
    appenders.healthy.append(healthyBatch);
    appenders.planted.append(plantedBatch);
  }
  appenders.healthy.close();
  appenders.planted.close();
  const registry: TurbineFacts[] = fleet.map((p) => {
    const entry = projectEntry(p);
    return { ...entry, project: entry.project ?? null, model: entry.model ?? null };
  });
  const range = { from: FROM, to: TO };
  healthy = await analyseAll(duckDbSource(connection, "healthy"), registry, range);
  withDefect = await analyseAll(duckDbSource(connection, "planted"), registry, range);
}, 120_000);
afterAll(() => instance?.closeSync());

describe("one reading per project, rated at the farm's total", () => {
  it("says its rows are projects", () => {
    expect(healthy.rows.row_unit).toBe("project");
    expect(healthy.rows.row_unit_description).toMatch(/whole project/);
  });

  it("flags no healthy project over a period that passes every minimum", () => {
    const rows = healthy.underperformance;
    expect(rows).toHaveLength(770);
    const long = rows.filter((r) => r.producing_hours >= MIN_PRODUCING_HOURS);
    // Nearly all qualify, so the absence of flags is not the minimum's doing.
    expect(long.length).toBeGreaterThan(700);
    expect(rows.filter((r) => r.flagged)).toEqual([]);
    const shortfalls = long.map((r) => r.shortfall_pct);
    expect(Math.max(...shortfalls)).toBeLessThan(3);
    expect(Math.min(...shortfalls)).toBeGreaterThan(-3);
  });

  it("flags the planted underperformer alone, with its shortfall", () => {
    const flagged = withDefect.underperformance.filter((r) => r.flagged);
    expect(flagged.map((r) => r.turbine_id)).toEqual([planted.id]);
    expect(flagged[0]?.shortfall_pct).toBeGreaterThan(100 * (1 - PLANTED_FACTOR) - 1.5);
    expect(flagged[0]?.shortfall_pct).toBeLessThan(100 * (1 - PLANTED_FACTOR) + 1.5);
  });

  it("draws each model's curve per turbine of the model, not per farm", () => {
    for (const [model, projects] of byModel) {
      const rated = projects[0]?.model.ratedKw as number;
      const bins = healthy.powerCurves.filter((r) => r.level === "model" && r.model === model);
      if (bins.length === 0) continue;
      const peak = Math.max(...bins.map((r) => r.power_kw));
      expect(peak, model).toBeLessThanOrEqual(rated * 1.02);
    }
  });

  it("values lost energy at each project's own rating: production-based availability close to time-based", () => {
    const fleetRow = withDefect.availability.find((r) => r.level === "fleet");
    const time = fleetRow?.time_availability_pct as number;
    const production = fleetRow?.production_availability_pct as number;
    // Downtime falls on any wind, so the two differ by the wind's spread, not by half a point
    // of a farm valued at another farm's size.
    expect(Math.abs(time - production)).toBeLessThan(1);
    expect(fleetRow?.lost_fault_mwh).toBeGreaterThan(0);
  });
});
