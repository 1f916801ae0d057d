// Analysis speed on 10 million readings in the embedded store: fleet power in 15-minute bins for
// a week, the whole analysis (every table, CSVs, the HTML report with its charts) in this process
// for the default 24 hours and for all the data, and `npm run analyze` as a user runs it: a fresh
// process that starts tsx, imports everything, opens the file and writes the report.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { renderPowerQuery } from "../../api/queries/power.ts";
import { queryTarget } from "../../api/queries/sql.ts";
import { DUCKDB_FILE_NAME, openDuckDbStore } from "../../api/store/duckdb-store.ts";
import { runAnalysis } from "../../notebooks/lib/run-analysis.ts";
import type { Benchmark } from "./figure.ts";

const READINGS = Number(process.env.BENCH_ANALYSIS_READINGS ?? 10_000_000);
const TURBINES = 770;
const DAY = 86_400_000;

export const bench: Benchmark = async (log) => {
  const dir = mkdtempSync(join(tmpdir(), "gust-bench-analysis-"));
  const path = join(dir, DUCKDB_FILE_NAME);
  const open = () => openDuckDbStore({ path, writeWindow: { maxAgeMs: 30 * DAY, maxFutureMs: 0 } });
  // Opening the store once creates the readings table; the load then goes straight in SQL.
  await (await open()).close();
  let store: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // 770 turbines reporting every minute: 10 M readings are about 9 days. Generated in SQL,
    // since how they got in is not what this measures.
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    const steps = Math.ceil(READINGS / TURBINES);
    log(
      `loading ${READINGS.toLocaleString("en")} readings (${TURBINES} turbines x ${steps.toLocaleString("en")} minutes)...`,
    );
    const loadStart = performance.now();
    const loader = await (await DuckDBInstance.create(path)).connect();
    await loader.run(`
      INSERT INTO readings
      SELECT 'nl-' || lpad(CAST(i % ${TURBINES} + 1 AS VARCHAR), 4, '0'),
             epoch_ms(${end} - (i // ${TURBINES}) * 60000),
             greatest(0, 1500 + 1200 * sin(i / 7919.0)), 3 + (i % 17),
             'producing', 1,
             json_object('project', 'P' || (i % ${TURBINES}), 'province', 'Province ' || (i % 12),
                         'rated_kw', '3000', 'lat', CAST(51 + (i % 200) / 100.0 AS VARCHAR),
                         'lon', CAST(4 + (i % 300) / 100.0 AS VARCHAR))
        FROM range(${READINGS}) t(i)`);
    loader.closeSync();
    store = await open();
    log(`  loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);

    const week = { from: end - 7 * DAY, to: end, every: "15m" as const, by: "none" as const };
    const sql = renderPowerQuery(queryTarget(store), week);
    await store.select(sql); // warm the file cache once, as a running server would have it
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await store.select(sql);
      runs.push(performance.now() - t0);
    }
    runs.sort((a, b) => a - b);
    const powerMs = runs[2] ?? 0;
    log(`fleet power, 15-minute bins, one week: median of 5 runs ${powerMs.toFixed(0)} ms`);

    const silent = new Writable({ write: (_c, _e, done) => done() });
    const t0 = performance.now();
    await runAnalysis({ store, outDir: join(dir, "report"), out: silent });
    const analysisMs = performance.now() - t0;
    log(
      `whole analysis (last 24 h of data, tables + CSV + HTML report): ${analysisMs.toFixed(0)} ms`,
    );
    const t1 = performance.now();
    await runAnalysis({ store, from: 0, to: end + 1, outDir: join(dir, "all"), out: silent });
    const allMs = performance.now() - t1;
    log(`whole analysis of all ${READINGS.toLocaleString("en")} readings: ${allMs.toFixed(0)} ms`);

    // The command as a user types it; the file is free once this process closes the store.
    await store.close();
    store = undefined;
    const t2 = performance.now();
    await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "notebooks/analyze.ts", "--out", join(dir, "command")],
      { env: { ...process.env, DATA_DIR: dir, STORE: "duckdb" } },
    );
    const commandMs = performance.now() - t2;
    log(
      `npm run analyze (fresh process, last 24 h of data, with report): ${commandMs.toFixed(0)} ms`,
    );
    return [
      {
        name: `fleet power, 15-min bins, 1 week, ${READINGS / 1e6} M readings`,
        value: powerMs,
        unit: "ms",
        target: { text: "< 1000 ms", met: powerMs < 1000 },
      },
      {
        name: "whole analysis with report (last 24 h of data)",
        value: analysisMs,
        unit: "ms",
        target: { text: "< 5000 ms", met: analysisMs < 5000 },
      },
      {
        name: `whole analysis with report (all ${READINGS / 1e6} M readings)`,
        value: allMs,
        unit: "ms",
      },
      {
        name: "npm run analyze, fresh process (last 24 h of data)",
        value: commandMs,
        unit: "ms",
        target: { text: "< 5000 ms", met: commandMs < 5000 },
      },
    ];
  } finally {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
