// The store of readings on Lambda (both functions): Timestream, or InfluxDB with STORE=influxdb.
// Only the configured store's module is loaded (a dynamic import); a bundle built for one store
// (infra/lambda-bundle.ts defines process.env.GUST_BUNDLED_STORE) leaves the other one out.
import type { SecretClients } from "../auth/secret-aws.ts";
import type { ReadingStore } from "./port.ts";

/** The configured store of readings (shared with the scheduled evaluation's function). */
export async function openCloudStore(
  env: NodeJS.ProcessEnv,
  secretClients: SecretClients = {},
): Promise<ReadingStore> {
  // Written as `if (bundled !== other) { import }` so that esbuild drops the dead branch's import.
  if (env.STORE === "influxdb") {
    if (process.env.GUST_BUNDLED_STORE !== "timestream") {
      const { openInfluxDbStoreFromEnv } = await import("./influxdb-env.ts");
      return openInfluxDbStoreFromEnv(env, secretClients.secretsManager);
    }
    throw new Error("STORE=influxdb, but this bundle was built for Timestream (see docs/aws.md).");
  }
  if (process.env.GUST_BUNDLED_STORE !== "influxdb") {
    const { openTimestreamStoreFromEnv } = await import("./timestream-env.ts");
    return openTimestreamStoreFromEnv(env);
  }
  throw new Error("This bundle was built for InfluxDB: set STORE=influxdb (see docs/aws.md).");
}
