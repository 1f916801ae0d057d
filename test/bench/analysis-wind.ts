// The wind analyses on a month of the whole fleet at 10-minute statistics: 2,144 turbines x 30
// days = 9.26 M readings with 18 measures each, made by the simulator's per-turbine SCADA physics
// (simulator/scada) and appended straight into a DuckDB file (test/support/scada-duckdb.ts):
// millions of readings through HTTP would measure ingest, not the analyses. The file is kept in
// the temp directory and reused by the next run (BENCH_REBUILD=1 builds it again).
//
// Figures: each analysis as the API runs it (the scan query on the store, then the shaping), and
// all four over one scan as the report runs them; the peer is one plain pass over the same
// columns (count and sums), the least any analysis of all readings can cost. The whole report
// on the same readings is analysis-report.ts.
import { existsSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  analyseAll,
  availabilityAnalysis,
  energyAnalysis,
  powerCurveAnalysis,
  underperformanceAnalysis,
} from "../../api/analyses/run.ts";
import type { TurbineFacts } from "../../api/analyses/scan.ts";
import { generateFleet } from "../../simulator/fleet.ts";
import { ScadaFleet } from "../../simulator/scada/fleet-scada.ts";
import { describeTurbine } from "../../simulator/scada/turbines.ts";
import { SyntheticWeather } from "../../simulator/weather/synthetic.ts";
import { createScadaTable, duckDbSource, ScadaAppender } from "../support/scada-duckdb.ts";
import type { Benchmark } from "./figure.ts";

const DAYS = Number(process.env.BENCH_WIND_DAYS ?? 30);
const STEP = 600_000;
const FROM = Date.UTC(2026, 9, 1);
const TO = FROM + DAYS * 86_400_000;
const FILE = join(tmpdir(), `gust-bench-wind-v1-${DAYS}d.duckdb`);

async function build(fleet: ScadaFleet, log: (line: string) => void): Promise<void> {
  const partial = `${FILE}.building`;
  rmSync(partial, { force: true });
  const instance = await DuckDBInstance.create(partial);
  const connection = await instance.connect();
  await createScadaTable(connection);
  const appender = await ScadaAppender.open(connection);
  const weather = new SyntheticWeather(1);
  const started = performance.now();
  let readings = 0;
  for (let time = FROM; time < TO; time += STEP) {
    const batch = (await fleet.readingsAt(weather, time, STEP)).readings;
    appender.append(batch);
    readings += batch.length;
    if ((time - FROM) % (86_400_000 * 3) === 0) {
      log(
        `  built ${readings.toLocaleString("en")} readings (${Math.round((time - FROM) / 86_400_000)} of ${DAYS} days, ${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }
  }
  appender.close();
  connection.closeSync();
  instance.closeSync();
  renameSync(partial, FILE);
  log(
    `  ${readings.toLocaleString("en")} readings in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

export async function median(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await work();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/** The month of the fleet's readings (built once, then reused) and the fleet that made them. */
export async function windDataSet(log: (line: string) => void) {
  const fleet = new ScadaFleet(generateFleet(), { statistics: true });
  if (process.env.BENCH_REBUILD === "1") rmSync(FILE, { force: true });
  if (!existsSync(FILE)) {
    log(
      `building ${fleet.turbines.length} turbines x ${DAYS} days at 10-minute statistics into ${FILE}...`,
    );
    await build(fleet, log);
  } else log(`reusing ${FILE} (BENCH_REBUILD=1 builds it again)`);
  return { fleet, file: FILE, days: DAYS, from: FROM, to: TO };
}

export const bench: Benchmark = async (log) => {
  const { fleet } = await windDataSet(log);
  const instance = await DuckDBInstance.create(FILE, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    const source = duckDbSource(connection);
    const registry: TurbineFacts[] = fleet.turbines.map((t) => ({
      turbine_id: t.turbine_id,
      ...describeTurbine(t),
    }));
    const [count] = await source.select("SELECT count(*) AS n FROM readings");
    const readings = Number(count?.n);
    const query = { from: FROM, to: TO };
    const peerMs = await median(5, () =>
      source.select(
        `SELECT turbine_id, count(*), sum(power_kw), sum(wind_speed_ms), sum(ambient_temperature_c), sum(ambient_pressure_hpa) FROM readings WHERE time >= epoch_ms(${FROM}) AND time < epoch_ms(${TO}) GROUP BY turbine_id`,
      ),
    );
    log(`peer: one pass over the columns, grouped by turbine: ${peerMs.toFixed(0)} ms`);
    const figures = [];
    const analyses = {
      "power curve (IEC bins, per turbine and model)": () =>
        powerCurveAnalysis(source, registry, query),
      "underperformance ranking": () => underperformanceAnalysis(source, registry, query),
      "availability and lost energy": () => availabilityAnalysis(source, registry, query),
      "energy and capacity factor": () => energyAnalysis(source, registry, query),
    };
    for (const [name, run] of Object.entries(analyses)) {
      const ms = await median(3, run);
      log(`${name}: median of 3 runs ${ms.toFixed(0)} ms`);
      figures.push({
        name: `${name}, ${(readings / 1e6).toFixed(2)} M readings`,
        value: ms,
        unit: "ms",
        ratio: { value: ms / peerMs, of: "one plain pass" },
        target: { text: "< 2000 ms", met: ms < 2000 },
      });
    }
    const allMs = await median(3, () => analyseAll(source, registry, query));
    log(`all four over one scan: median of 3 runs ${allMs.toFixed(0)} ms`);
    const top = (await underperformanceAnalysis(source, registry, query)).slice(0, 4);
    log(
      `top of the ranking: ${top.map((r) => `${r.turbine_id} ${r.shortfall_pct}%`).join(", ")}; defects: ${fleet.defects.map((d) => d.turbine_id).join(", ")}`,
    );
    figures.push({
      name: "all four analyses over one scan",
      value: allMs,
      unit: "ms",
      ratio: { value: allMs / peerMs, of: "one plain pass" },
    });
    return figures;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
};
