// The store a notebook reads: the local DuckDB file under DATA_DIR, Timestream with
// STORE=timestream, or InfluxDB with STORE=influxdb (INFLUXDB_URL, INFLUXDB_DATABASE). DuckDB lets one process open a file, so this fails while `npm run serve`
// holds it, with a message that says what to do.
import { join } from "node:path";
import { readLocalConfig } from "../../api/config.ts";
import { openDuckDbRegistry } from "../../api/registry/duckdb-registry.ts";
import type { TurbineRegistry } from "../../api/registry/port.ts";
import { DUCKDB_FILE_NAME, DuckDbStore, openDuckDbStore } from "../../api/store/duckdb-store.ts";
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

/**
 * The registry beside the store: the `turbines` table in the same DuckDB file, or DynamoDB
 * (REGISTRY_TABLE) with Timestream; undefined when there is none to read.
 */
export async function openAnalysisRegistry(
  store: ReadingStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TurbineRegistry | undefined> {
  if (store instanceof DuckDbStore) return openDuckDbRegistry(await store.connect());
  if (!env.REGISTRY_TABLE) return undefined;
  const { openDynamoDbRegistryFromEnv } = await import("../../api/registry/dynamodb-env.ts");
  return openDynamoDbRegistryFromEnv(env);
}
