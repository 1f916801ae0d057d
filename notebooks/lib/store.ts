// The store a notebook reads: the local DuckDB file under DATA_DIR, Timestream with
// STORE=timestream, or InfluxDB with STORE=influxdb (INFLUXDB_URL, INFLUXDB_DATABASE). DuckDB lets one process open a file, so this fails while `npm run serve`
// holds it, with a message that says what to do.
import { join } from "node:path";
import { readLocalConfig } from "../../api/config.ts";
import { DUCKDB_FILE_NAME } from "../../api/server.ts";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { ReadingStore } from "../../api/store/port.ts";

export async function openAnalysisStore(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReadingStore> {
  const config = readLocalConfig(env);
  if (config.store === "influxdb") {
    const { openInfluxDbStoreFromEnv } = await import("../../api/store/influxdb-env.ts");
    return openInfluxDbStoreFromEnv(env);
  }
  if (config.store === "timestream") {
    const { openTimestreamStoreFromEnv } = await import("../../api/store/timestream-env.ts");
    return openTimestreamStoreFromEnv(env);
  }
  return openDuckDbStore({
    path: join(config.dataDir, DUCKDB_FILE_NAME),
    writeWindow: { maxAgeMs: config.writeWindowDays * 86_400_000, maxFutureMs: 0 },
  });
}
