// `npm run analyze -- [--from TIME] [--to TIME] [--out DIR]`: the analysis of what is stored.
// Locally it opens the DuckDB file under DATA_DIR; with STORE=timestream it queries Timestream.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readLocalConfig } from "../api/config.ts";
import { DUCKDB_FILE_NAME } from "../api/server.ts";
import { openDuckDbStore } from "../api/store/duckdb-store.ts";
import type { ReadingStore } from "../api/store/port.ts";
import { runAnalysis } from "./lib/run-analysis.ts";

const HELP = `Usage: npm run analyze -- [--from TIME] [--to TIME] [--out DIR]

  --from, --to   RFC 3339 or epoch ms (default: the 24 hours up to the last reading)
  --out DIR      write one CSV per table and report.html there (default: ./reports/latest)
  --no-files     print the tables only

Reads DATA_DIR/gust.duckdb (default ./data). DuckDB lets one process write a file: stop
\`npm run serve\` first, or run the analysis inside \`npm start\`, which shares the API's store.`;

function time(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new Error(`${flag} "${value}" is not a time: use RFC 3339 or epoch ms`);
  return ms;
}

async function openStore(): Promise<ReadingStore> {
  const config = readLocalConfig();
  if (config.store === "timestream") {
    const { openTimestreamStoreFromEnv } = await import("../api/store/timestream-env.ts");
    return openTimestreamStoreFromEnv(process.env);
  }
  return openDuckDbStore({
    path: join(config.dataDir, DUCKDB_FILE_NAME),
    writeWindow: { maxAgeMs: config.writeWindowDays * 86_400_000, maxFutureMs: 0 },
  });
}

const { values } = parseArgs({
  options: {
    from: { type: "string" },
    to: { type: "string" },
    out: { type: "string" },
    "no-files": { type: "boolean" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
try {
  const store = await openStore();
  try {
    await runAnalysis({
      store,
      from: time(values.from, "--from"),
      to: time(values.to, "--to"),
      outDir: values["no-files"] ? undefined : (values.out ?? "reports/latest"),
    });
  } finally {
    await store.close();
  }
} catch (error) {
  console.error(`gust analyze: ${(error as Error).message}`);
  process.exit(1);
}
