// The alarms on Lambda as the environment configures them: ALARM_TABLE (the DynamoDB table the
// stack creates, infra/alarm-table.ts; DYNAMODB_ENDPOINT for tests), the rules' ALARM_*
// variables as locally (config.ts), and the webhook: ALARM_WEBHOOK_URL with its secret from
// Secrets Manager (ALARM_WEBHOOK_SECRET_ARN, which the stack sets) or ALARM_WEBHOOK_SECRET.

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { callDependency } from "../time/deadline.ts";
import { readWebhookConfig, type WebhookConfig } from "./config.ts";

/** The alarm table (client and name), or null when ALARM_TABLE is not set (alarms answer 503). */
export function alarmTableFromEnv(
  env: NodeJS.ProcessEnv,
): { client: DynamoDBClient; table: string } | null {
  const table = env.ALARM_TABLE;
  if (!table) return null;
  const endpoint = env.DYNAMODB_ENDPOINT;
  return { client: new DynamoDBClient(endpoint ? { endpoint } : {}), table };
}

/** The webhook's settings, its secret read from Secrets Manager when named by ARN. */
export async function readLambdaWebhookConfig(
  env: NodeJS.ProcessEnv,
  secretsManager?: SecretsManagerClient,
): Promise<WebhookConfig | null> {
  const arn = env.ALARM_WEBHOOK_SECRET_ARN;
  if (!env.ALARM_WEBHOOK_URL || !arn) return readWebhookConfig(env);
  const { GetSecretValueCommand, SecretsManagerClient } = await import(
    "@aws-sdk/client-secrets-manager"
  );
  const client = secretsManager ?? new SecretsManagerClient({});
  const answer = await callDependency("Secrets Manager (the webhook secret)", (abortSignal) =>
    client.send(new GetSecretValueCommand({ SecretId: arn }), { abortSignal }),
  );
  if (!answer.SecretString) throw new Error(`secret ${arn} has no SecretString`);
  return readWebhookConfig({ ...env, ALARM_WEBHOOK_SECRET: answer.SecretString });
}
