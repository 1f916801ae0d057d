// Where the key secret comes from on Lambda: AWS Secrets Manager (API_KEY_SECRET_ARN) or SSM
// Parameter Store (API_KEY_SECRET_PARAMETER), read once per container. There is no fallback:
// without a secret the function fails at start, loudly, instead of running with a guessable one.
// A Secrets Manager that does not answer before the request's deadline is a 503 with Retry-After
// (api/lambda.ts), and the next request reads it again.
// Only the configured client is loaded (a dynamic import): a cold start pays for one SDK client,
// and the CDK stack's bundle (Secrets Manager) leaves the SSM client out altogether.
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { type Clock, systemClock } from "../time/clock.ts";
import { callDependency } from "../time/deadline.ts";
import { checkSecret } from "./secret.ts";

export interface SecretClients {
  secretsManager?: SecretsManagerClient;
  ssm?: SSMClient;
}

export async function loadCloudSecret(
  env: NodeJS.ProcessEnv,
  clients: SecretClients = {},
  clock: Clock = systemClock,
): Promise<string> {
  if (env.API_KEY_SECRET_ARN) {
    const { GetSecretValueCommand, SecretsManagerClient } = await import(
      "@aws-sdk/client-secrets-manager"
    );
    const client = clients.secretsManager ?? new SecretsManagerClient({});
    const answer = await callDependency(
      "Secrets Manager (the key secret)",
      (abortSignal) =>
        client.send(new GetSecretValueCommand({ SecretId: env.API_KEY_SECRET_ARN }), {
          abortSignal,
        }),
      { clock },
    );
    if (!answer.SecretString)
      throw new Error(`secret ${env.API_KEY_SECRET_ARN} has no SecretString`);
    return checkSecret(answer.SecretString, `secret ${env.API_KEY_SECRET_ARN}`);
  }
  // Written as `if (bundled !== ...) { import }` so that esbuild drops the dead branch's import.
  if (env.API_KEY_SECRET_PARAMETER && process.env.GUST_BUNDLED_SECRET !== "secretsmanager") {
    const { GetParameterCommand, SSMClient } = await import("@aws-sdk/client-ssm");
    const client = clients.ssm ?? new SSMClient({});
    const answer = await callDependency(
      "SSM Parameter Store (the key secret)",
      (abortSignal) =>
        client.send(
          new GetParameterCommand({ Name: env.API_KEY_SECRET_PARAMETER, WithDecryption: true }),
          { abortSignal },
        ),
      { clock },
    );
    const value = answer.Parameter?.Value;
    if (!value) throw new Error(`parameter ${env.API_KEY_SECRET_PARAMETER} has no value`);
    return checkSecret(value, `parameter ${env.API_KEY_SECRET_PARAMETER}`);
  }
  if (env.API_KEY_SECRET_PARAMETER)
    throw new Error(
      "API_KEY_SECRET_PARAMETER is set, but this bundle carries only the Secrets Manager client: set API_KEY_SECRET_ARN (see docs/aws.md).",
    );
  if (env.API_KEY_SECRET) return checkSecret(env.API_KEY_SECRET, "API_KEY_SECRET");
  throw new Error(
    "No key secret: set API_KEY_SECRET_ARN (Secrets Manager) or API_KEY_SECRET_PARAMETER (SSM); the CDK stack sets the first.",
  );
}
