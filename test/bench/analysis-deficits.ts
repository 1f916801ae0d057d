// Deficit periods scored on the simulator's planted icing and derating over many windows of a
// year: 40 projects' turbines (109; two icing, two derated, besides the whole-run low curve and
// yaw defects), 4-day windows every 28 days from January (13 windows), each simulated at
// 10-minute statistics into an in-memory DuckDB table and analysed as the API does. Icing needs
// cold, so the summer windows score derating alone. Figures: recall (planted episodes a power
// curve can see that overlap a found period, test/support/planted-truth.ts), the share found
// with the right cause, precision (found periods that overlap planted hours), periods on other
// turbines, and the analysis's time per window.
import { DuckDBInstance } from "@duckdb/node-api";
import { deficitAnalysis } from "../../api/analyses/run.ts";
import { generateFleet } from "../../simulator/fleet.ts";
import type { PlantedEffect } from "../../simulator/scada/episodes.ts";
import { ScadaFleet } from "../../simulator/scada/fleet-scada.ts";
import { describeTurbine } from "../../simulator/scada/turbines.ts";
import { SyntheticWeather } from "../../simulator/weather/synthetic.ts";
import { plantedEpisodes, score } from "../support/planted-truth.ts";
import { createScadaTable, duckDbSource, ScadaAppender } from "../support/scada-duckdb.ts";
import type { Benchmark } from "./figure.ts";

const STEP = 600_000;
const DAY = 86_400_000;
const WINDOWS = Number(process.env.BENCH_DEFICIT_WINDOWS ?? 13);
const START = Date.UTC(2026, 0, 1);

export const bench: Benchmark = async (log) => {
  const totals = { episodes: 0, found: 0, cause: 0, periods: 0, truePeriods: 0, healthy: 0 };
  const byKind = new Map<string, { episodes: number; found: number }>();
  let analysisMs = 0;
  for (let w = 0; w < WINDOWS; w++) {
    const from = START + w * 28 * DAY;
    const to = from + 4 * DAY;
    const planted: PlantedEffect[] = [];
    const fleet = new ScadaFleet(generateFleet().slice(0, 40), {
      statistics: true,
      episodicDefectsPerKind: 2,
      onPlanted: (effect) => planted.push(effect),
    });
    const weather = new SyntheticWeather(1);
    const instance = await DuckDBInstance.create(":memory:");
    try {
      const connection = await instance.connect();
      await createScadaTable(connection);
      const appender = await ScadaAppender.open(connection);
      for (let time = from; time < to; time += STEP) {
        appender.append((await fleet.readingsAt(weather, time, STEP)).readings);
      }
      appender.close();
      const registry = fleet.turbines.map((t) => ({
        turbine_id: t.turbine_id,
        ...describeTurbine(t),
      }));
      const started = performance.now();
      const periods = await deficitAnalysis(duckDbSource(connection), registry, { from, to });
      analysisMs += performance.now() - started;
      const rated = new Map(fleet.turbines.map((t) => [t.turbine_id, t.model.ratedKw]));
      const episodic = new Set(
        fleet.defects
          .filter((d) => d.kind === "icing" || d.kind === "derating")
          .map((d) => d.turbine_id),
      );
      const episodes = plantedEpisodes(planted, rated);
      const s = score(episodes, planted, periods, episodic);
      for (const kind of ["icing", "derating"]) {
        const mine = episodes.filter((e) => e.kind === kind);
        const k = byKind.get(kind) ?? { episodes: 0, found: 0 };
        k.episodes += mine.length;
        k.found += score(mine, planted, periods, episodic).found;
        byKind.set(kind, k);
      }
      totals.episodes += s.episodes;
      totals.found += s.found;
      totals.cause += s.foundWithCause;
      totals.periods += s.periods;
      totals.truePeriods += s.truePeriods;
      totals.healthy += s.periodsOnHealthy;
      log(
        `window ${new Date(from).toISOString().slice(0, 10)}: ${s.found}/${s.episodes} episodes found (${s.foundWithCause} with their cause), ${s.truePeriods}/${s.periods} periods true, ${s.periodsOnHealthy} on other turbines`,
      );
    } finally {
      instance.closeSync();
    }
  }
  const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
  const recall = ratio(totals.found, totals.episodes);
  const precision = ratio(totals.truePeriods, totals.periods);
  for (const [kind, k] of byKind) log(`${kind}: ${k.found}/${k.episodes} episodes found`);
  return [
    ...[...byKind].map(([kind, k]) => ({
      name: `deficit periods: recall, ${kind} (${k.episodes} planted episodes, ${WINDOWS} windows)`,
      value: ratio(k.found, k.episodes),
      unit: "",
      target: { text: ">= 0.95", met: ratio(k.found, k.episodes) >= 0.95 },
    })),
    {
      name: `deficit periods: recall, all (${totals.episodes} episodes)`,
      value: recall,
      unit: "",
      target: { text: ">= 0.95", met: recall >= 0.95 },
    },
    {
      name: `deficit periods: precision (${totals.periods} periods)`,
      value: precision,
      unit: "",
      target: { text: "1.0", met: precision === 1 },
    },
    {
      name: "deficit periods on turbines without icing or derating",
      value: totals.healthy,
      unit: "periods",
      target: { text: "0", met: totals.healthy === 0 },
    },
    {
      name: "deficit periods: episodes found with their right cause",
      value: ratio(totals.cause, totals.episodes),
      unit: "",
    },
    {
      name: "deficit periods: analysis per window (109 turbines x 4 days)",
      value: analysisMs / WINDOWS,
      unit: "ms",
    },
  ];
};
