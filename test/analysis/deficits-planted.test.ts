// Deficit periods against the simulator's planted icing and derating: 40 projects' turbines
// (109, two of each episodic kind besides the whole-run defects) for four cold, windy January
// days at 10-minute statistics in an in-memory DuckDB table. Tolerance (also in
// docs/analyses.md): every planted episode a power curve can see (test/support/planted-truth.ts)
// overlaps a found period (recall 1 here; the benchmark's many windows hold it to >= 0.95),
// every period overlaps planted hours (precision 1), none on any other turbine (the low curve
// and the yaw misalignment included), and at least 80% of episodes have the right cause.
// About 8 s: the four days are what holds enough cold wind for both kinds.
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DeficitPeriod } from "../../api/analyses/deficits.ts";
import { deficitAnalysis } from "../../api/analyses/run.ts";
import { generateFleet } from "../../simulator/fleet.ts";
import type { PlantedEffect } from "../../simulator/scada/episodes.ts";
import { ScadaFleet } from "../../simulator/scada/fleet-scada.ts";
import { describeTurbine } from "../../simulator/scada/turbines.ts";
import { SyntheticWeather } from "../../simulator/weather/synthetic.ts";
import { plantedEpisodes, type Score, score } from "../support/planted-truth.ts";
import { createScadaTable, duckDbSource, ScadaAppender } from "../support/scada-duckdb.ts";

const STEP = 600_000;
const FROM = Date.UTC(2026, 0, 12);
const TO = FROM + 4 * 86_400_000;
let instance: DuckDBInstance;
let fleet: ScadaFleet;
let periods: DeficitPeriod[];
let result: Score;

beforeAll(async () => {
  const planted: PlantedEffect[] = [];
  fleet = new ScadaFleet(generateFleet().slice(0, 40), {
    statistics: true,
    episodicDefectsPerKind: 2,
    onPlanted: (effect) => planted.push(effect),
  });
  const weather = new SyntheticWeather(1);
  instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await createScadaTable(connection);
  const appender = await ScadaAppender.open(connection);
  for (let time = FROM; time < TO; time += STEP) {
    appender.append((await fleet.readingsAt(weather, time, STEP)).readings);
  }
  appender.close();
  const registry = fleet.turbines.map((t) => ({ turbine_id: t.turbine_id, ...describeTurbine(t) }));
  periods = await deficitAnalysis(duckDbSource(connection), registry, { from: FROM, to: TO });
  const rated = new Map(fleet.turbines.map((t) => [t.turbine_id, t.model.ratedKw]));
  const episodic = new Set(
    fleet.defects
      .filter((d) => d.kind === "icing" || d.kind === "derating")
      .map((d) => d.turbine_id),
  );
  result = score(plantedEpisodes(planted, rated), planted, periods, episodic);
});
afterAll(() => instance?.closeSync());

it("plants both episodic kinds besides the whole-run defects", () => {
  expect(fleet.defects.map((d) => d.kind).sort()).toEqual([
    "derating",
    "derating",
    "icing",
    "icing",
    "low_power_curve",
    "low_power_curve",
    "yaw_misalignment",
    "yaw_misalignment",
  ]);
});

it("finds every planted episode, flags nothing else, and names most causes right", () => {
  expect(result.episodes).toBeGreaterThanOrEqual(10);
  expect(result.found).toBe(result.episodes);
  expect(result.truePeriods).toBe(result.periods);
  expect(result.periodsOnHealthy).toBe(0);
  expect(result.foundWithCause / result.episodes).toBeGreaterThanOrEqual(0.8);
  expect(new Set(periods.map((p) => p.cause))).toEqual(new Set(["icing", "derating"]));
});
