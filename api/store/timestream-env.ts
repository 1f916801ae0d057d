// The Timestream store as configured by the environment (Lambda, or `STORE=timestream` for the
// analysis): TIMESTREAM_DATABASE, TIMESTREAM_TABLE, the region from AWS_REGION, optional
// TIMESTREAM_ENDPOINT / TIMESTREAM_QUERY_ENDPOINT, WRITE_WINDOW_HOURS (the table's memory
// store retention: Timestream rejects older records).
import { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { TimestreamWriteClient } from "@aws-sdk/client-timestream-write";
import { MAX_FUTURE_MS, positiveInteger } from "../config.ts";
import { TimestreamStore } from "./timestream-store.ts";

export const DEFAULT_WRITE_WINDOW_HOURS = 24;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new Error(`${name} is not set: the Timestream store needs it (see docs/aws.md).`);
  return value;
}

export function openTimestreamStoreFromEnv(env: NodeJS.ProcessEnv): TimestreamStore {
  // The SDK's own retries are off: the store retries within the request's deadline instead.
  // A custom endpoint turns endpoint discovery off (the SDK refuses both at once).
  const writeEndpoint = env.TIMESTREAM_ENDPOINT;
  const queryEndpoint = env.TIMESTREAM_QUERY_ENDPOINT;
  return new TimestreamStore({
    database: required(env, "TIMESTREAM_DATABASE"),
    table: required(env, "TIMESTREAM_TABLE"),
    writeClient: new TimestreamWriteClient({
      maxAttempts: 1,
      ...(writeEndpoint ? { endpoint: writeEndpoint } : {}),
    }),
    queryClient: new TimestreamQueryClient({
      maxAttempts: 1,
      ...(queryEndpoint ? { endpoint: queryEndpoint } : {}),
    }),
    writeWindow: {
      maxAgeMs: positiveInteger(env, "WRITE_WINDOW_HOURS", DEFAULT_WRITE_WINDOW_HOURS) * 3_600_000,
      maxFutureMs: MAX_FUTURE_MS,
    },
  });
}
