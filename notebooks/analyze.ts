// `npm run analyze -- [--from TIME] [--to TIME] [--out DIR]`: the analysis of what is stored.
// Locally it opens the DuckDB file under DATA_DIR; with STORE=timestream it queries Timestream.
import { parseArgs } from "node:util";
import { MAX_GRID_EMISSION_FACTOR_KG_PER_KWH } from "../api/analyses/emissions.ts";
import { systemClock } from "../api/time/clock.ts";
import { parseTimeFlag } from "../api/time/time-words.ts";
import { runAnalysis } from "./lib/run-analysis.ts";
import { openAnalysisRegistry, openAnalysisStore } from "./lib/store.ts";

const HELP = `Usage: npm run analyze -- [--from TIME] [--to TIME] [--out DIR] [--parquet]

  --from, --to   RFC 3339 with a zone, a date (UTC), epoch ms, or now-6h / now-2d
                 (default: the 24 hours up to the last reading)
  --out DIR      write one CSV per table and report.html there (default: ./reports/latest)
  --parquet      write each table as Parquet too (pandas, Polars, Arquero, DuckDB read it)
  --no-files     print the tables only
  --emission-factor KG_PER_KWH
                 the grid's CO2 per kWh for the emissions avoided (default 0.374: the
                 Dutch production mix of 2021 with chain emissions, CE Delft / CBS)

With turbines in the registry (PUT /v1/turbines, or the simulator's --per-turbine mode), the
report adds the wind analyses: IEC power curves, underperformance, availability and lost
energy, energy and capacity factor, and the fleet map.

Reads DATA_DIR/gust.duckdb (default ./data). DuckDB lets one process write a file: stop
\`npm run serve\` first, or run the analysis inside \`npm start\`, which shares the API's store.`;

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
  const store = await openAnalysisStore();
  const registry = await openAnalysisRegistry(store);
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
    await registry?.close();
    await store.close();
  }
} catch (error) {
  console.error(`gust analyze: ${(error as Error).message}\nSee npm run analyze -- --help`);
  process.exit(1);
}
