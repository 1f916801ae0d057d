// The Lambda side of the app: the same createApp, the Timestream store (or InfluxDB with
// STORE=influxdb), the DynamoDB registry and the key secret from AWS, all built once per
// container. Each invocation gets a deadline from its remaining time, so
// store retries stop in time to answer 503 rather than time out.
import type { Context } from "aws-lambda";
import { handle } from "hono/aws-lambda";
import { createApp } from "./app.ts";
import { loadCloudSecret, type SecretClients } from "./auth/secret-aws.ts";
import { booleanFlag } from "./config.ts";
import { openDynamoDbRegistryFromEnv } from "./registry/dynamodb-env.ts";
import type { TurbineRegistry } from "./registry/port.ts";
import { withDeadline } from "./store/deadline.ts";
import { openInfluxDbStoreFromEnv } from "./store/influxdb-env.ts";
import type { ReadingStore } from "./store/port.ts";
import { openTimestreamStoreFromEnv } from "./store/timestream-env.ts";

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
  const store =
    deps.store ??
    (env.STORE === "influxdb"
      ? await openInfluxDbStoreFromEnv(env, deps.secretClients?.secretsManager)
      : openTimestreamStoreFromEnv(env));
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
