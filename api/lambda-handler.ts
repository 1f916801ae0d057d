// The Lambda side of the app: the same createApp, the Timestream store (or InfluxDB with
// STORE=influxdb), the DynamoDB registry and the key secret from AWS, all built once per
// container. Each invocation gets a deadline from its remaining time, so
// store retries stop in time to answer 503 rather than time out.
//
// Only the configured store's module is loaded (a dynamic import); a bundle built for one store
// (infra/lambda-bundle.ts defines process.env.GUST_BUNDLED_STORE) leaves the other one out.
import type { Context } from "aws-lambda";
import { createApp } from "./app.ts";
import { loadCloudSecret, type SecretClients } from "./auth/secret-aws.ts";
import { booleanFlag } from "./config.ts";
import { handle } from "./lambda-adapter.ts";
import { openDynamoDbRegistryFromEnv } from "./registry/dynamodb-env.ts";
import type { TurbineRegistry } from "./registry/port.ts";
import { withDeadline } from "./store/deadline.ts";
import type { ReadingStore } from "./store/port.ts";

/** Time kept back from the Lambda timeout to write the 503 answer. */
const ANSWER_MARGIN_MS = 1000;

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LambdaDeps {
  store?: ReadingStore;
  registry?: TurbineRegistry;
  secretClients?: SecretClients;
}

export async function createLambdaHandler(
  env: NodeJS.ProcessEnv,
  deps: LambdaDeps = {},
): Promise<LambdaHandler> {
  const secret = await loadCloudSecret(env, deps.secretClients);
  const store = deps.store ?? (await openStore(env, deps));
  const registry = deps.registry ?? openDynamoDbRegistryFromEnv(env);
  const app = createApp({
    store,
    registry,
    requireRegistered: booleanFlag(env, "REQUIRE_REGISTERED"),
    keySecret: async () => secret,
  });
  const honoHandler = handle(app) as unknown as (
    event: unknown,
    context: Context,
  ) => Promise<unknown>;
  return (event, context) =>
    withDeadline(Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS, () =>
      honoHandler(event, context),
    );
}

async function openStore(env: NodeJS.ProcessEnv, deps: LambdaDeps): Promise<ReadingStore> {
  // Written as `if (bundled !== other) { import }` so that esbuild drops the dead branch's import.
  if (env.STORE === "influxdb") {
    if (process.env.GUST_BUNDLED_STORE !== "timestream") {
      const { openInfluxDbStoreFromEnv } = await import("./store/influxdb-env.ts");
      return openInfluxDbStoreFromEnv(env, deps.secretClients?.secretsManager);
    }
    throw new Error(
      "STORE=influxdb, but this bundle was built for Timestream (see README, Deploy).",
    );
  }
  if (process.env.GUST_BUNDLED_STORE !== "influxdb") {
    const { openTimestreamStoreFromEnv } = await import("./store/timestream-env.ts");
    return openTimestreamStoreFromEnv(env);
  }
  throw new Error("This bundle was built for InfluxDB: set STORE=influxdb (see README, Deploy).");
}
