// `npm run analyze -- [--from TIME] [--to TIME] [--out DIR]`: the analysis of what is stored.
// Locally it opens the DuckDB file under DATA_DIR; with STORE=timestream it queries Timestream.
import { parseArgs } from "node:util";
import { MAX_GRID_EMISSION_FACTOR_KG_PER_KWH } from "../api/analyses/emissions.ts";
import { existingLocalSecret } from "../api/auth/secret.ts";
import { readLocalConfig } from "../api/config.ts";
import type { TurbineRegistry } from "../api/registry/port.ts";
import type { ReadingStore } from "../api/store/port.ts";
import { systemClock } from "../api/time/clock.ts";
import { parseTimeFlag } from "../api/time/time-words.ts";
import { runAnalysis } from "./lib/run-analysis.ts";
import { openAnalysisRegistry, openAnalysisStore } from "./lib/store.ts";
import { copyThroughServer, localServerUrl } from "./lib/through-server.ts";

const HELP = `Usage: npm run analyze -- [--from TIME] [--to TIME] [--out DIR] [--parquet]

  --from, --to   RFC 3339 with a zone, a date (UTC), epoch ms, or now-6h / now-2d
                 (default: the span of the data, at most its last 24 hours: from the
                 first reading to one reporting interval after the last)
  --out DIR      write one CSV per table and report.html there (default: ./reports/latest)
  --parquet      write each table as Parquet too (pandas, Polars, Arquero, DuckDB read it)
  --no-files     print the tables only
  --emission-factor KG_PER_KWH
                 the grid's CO2 per kWh for the emissions avoided (default 0.374: the
                 Dutch production mix of 2021 with chain emissions, CE Delft / CBS)

With turbines in the registry (PUT /v1/turbines, or the simulator's --per-turbine mode), the
report adds the wind analyses: IEC power curves, underperformance, availability and lost
energy, energy and capacity factor, and the fleet map.

Reads DATA_DIR/gust.duckdb (default ./data). While \`npm run serve\` holds that file (DuckDB
lets one process open it), it reads the period through that server's API instead (HOST and
PORT as the server's, the reader key from its secret), with progress on stderr.`;

/** The DuckDB file, or, while a running server holds it, a copy of the period read through it. */
async function openStoreOrServer(
  from: number | undefined,
  to: number | undefined,
): Promise<{ store: ReadingStore; registry?: TurbineRegistry; close(): Promise<void> }> {
  try {
    const store = await openAnalysisStore();
    const registry = await openAnalysisRegistry(store);
    return {
      store,
      registry,
      close: async () => {
        await registry?.close();
        await store.close();
      },
    };
  } catch (error) {
    const config = readLocalConfig();
    const url = localServerUrl(config);
    const secret = process.env.API_KEY_SECRET || existingLocalSecret(config.dataDir);
    // DuckDB's own words ("Could not set lock on file"), or the store's explanation of them.
    const held =
      config.store === "duckdb" &&
      /only one process may write|could not set lock on file/i.test(String(error));
    if (!held || !secret || !(await answers(url))) throw error;
    return copyThroughServer({ url, secret, from, to, err: process.stderr });
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).ok;
  } catch {
    return false;
  }
}

try {
  const { values } = parseArgs({
    options: {
      from: { type: "string" },
      to: { type: "string" },
      out: { type: "string" },
      "no-files": { type: "boolean" },
      parquet: { type: "boolean" },
      "emission-factor": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  // Flags are read before the store opens, so a typo never waits on (or locks) the store.
  const now = systemClock.now();
  const from = values.from === undefined ? undefined : parseTimeFlag(values.from, "--from", now);
  const to = values.to === undefined ? undefined : parseTimeFlag(values.to, "--to", now);
  const factorFlag = values["emission-factor"];
  const gridEmissionFactorKgPerKwh = factorFlag === undefined ? undefined : Number(factorFlag);
  if (
    gridEmissionFactorKgPerKwh !== undefined &&
    !(
      gridEmissionFactorKgPerKwh >= 0 &&
      gridEmissionFactorKgPerKwh <= MAX_GRID_EMISSION_FACTOR_KG_PER_KWH
    )
  ) {
    throw new Error(
      `--emission-factor takes kg CO2 per kWh from 0 to ${MAX_GRID_EMISSION_FACTOR_KG_PER_KWH}, such as 0.374, not "${factorFlag}"`,
    );
  }
  const opened = await openStoreOrServer(from, to);
  const { store, registry } = opened;
  try {
    await runAnalysis({
      store,
      from,
      to,
      outDir: values["no-files"] ? undefined : (values.out ?? "reports/latest"),
      parquet: values.parquet,
      gridEmissionFactorKgPerKwh,
      registry,
    });
  } finally {
    await opened.close();
  }
} catch (error) {
  console.error(`gust analyze: ${(error as Error).message}\nSee npm run analyze -- --help`);
  process.exit(1);
}
