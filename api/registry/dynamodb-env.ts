// The DynamoDB registry as configured by the environment (Lambda): REGISTRY_TABLE (set by the
// stack), REGISTRY_CACHE_SECONDS (default 30), optional DYNAMODB_ENDPOINT (tests, local fakes).
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { positiveInteger } from "../config.ts";
import { DEFAULT_CACHE_MS, DynamoDbRegistry } from "./dynamodb-registry.ts";

export function openDynamoDbRegistryFromEnv(env: NodeJS.ProcessEnv): DynamoDbRegistry {
  const table = env.REGISTRY_TABLE;
  if (!table) {
    throw new Error(
      "REGISTRY_TABLE is not set: the Lambda's turbine registry needs its DynamoDB table (see docs/aws.md).",
    );
  }
  const endpoint = env.DYNAMODB_ENDPOINT;
  return new DynamoDbRegistry({
    client: new DynamoDBClient(endpoint ? { endpoint } : {}),
    table,
    cacheMs: positiveInteger(env, "REGISTRY_CACHE_SECONDS", DEFAULT_CACHE_MS / 1000) * 1000,
  });
}
