// The InfluxDB store as configured by the environment (`STORE=influxdb`, on Node and Lambda):
//   INFLUXDB_URL        e.g. https://<id>.<region>.timestream-influxdb.amazonaws.com:8086
//   INFLUXDB_DATABASE   the database (InfluxDB 2.x: a bucket with a DBRP mapping; 3.x: a database)
//   INFLUXDB_MEASUREMENT  the table readings go to (default "readings")
//   the token from INFLUXDB_TOKEN, or on Lambda from Secrets Manager (INFLUXDB_TOKEN_SECRET_ARN;
//   the secret's string is the token itself, or JSON with a "token" key, or with exactly one
//   other key naming a token, as the secret Timestream for InfluxDB creates with a cluster)
//   WRITE_WINDOW_HOURS  how far back writes are taken (default 7 days; InfluxDB has no limit)
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { MAX_FUTURE_MS, positiveInteger } from "../config.ts";
import { callDependency } from "../time/deadline.ts";
import { InfluxDbClient } from "./influxdb-client.ts";
import { InfluxDbStore } from "./influxdb-store.ts";

export const DEFAULT_INFLUX_WRITE_WINDOW_HOURS = 7 * 24;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: the InfluxDB store needs it (see docs/aws.md).`);
  return value;
}

/** The InfluxDB URL, checked: http(s) only, and https unless the host is this machine. */
export function influxUrl(env: NodeJS.ProcessEnv): string {
  const raw = required(env, "INFLUXDB_URL");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`INFLUXDB_URL is not a URL: "${raw}" (e.g. https://influx.example.com:8086).`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error(`INFLUXDB_URL must be http(s), not "${url.protocol}".`);
  return url.toString().replace(/\/$/, "");
}

/** The token: INFLUXDB_TOKEN, else the Secrets Manager secret INFLUXDB_TOKEN_SECRET_ARN, else none. */
export async function loadInfluxToken(
  env: NodeJS.ProcessEnv,
  secretsManager?: SecretsManagerClient,
): Promise<string | undefined> {
  if (env.INFLUXDB_TOKEN) return env.INFLUXDB_TOKEN;
  const arn = env.INFLUXDB_TOKEN_SECRET_ARN;
  if (!arn) return undefined;
  const client = secretsManager ?? new SecretsManagerClient({});
  const answer = await callDependency("Secrets Manager (the InfluxDB token)", (abortSignal) =>
    client.send(new GetSecretValueCommand({ SecretId: arn }), { abortSignal }),
  );
  const text = answer.SecretString?.trim();
  if (!text) throw new Error(`secret ${arn} has no SecretString (expected the InfluxDB token)`);
  if (!text.startsWith("{")) return text;
  const parsed = JSON.parse(text) as Record<string, unknown>;
  if (typeof parsed.token === "string" && parsed.token !== "") return parsed.token;
  // The secret Timestream for InfluxDB creates with a cluster names its token in a key of its
  // own: the one string whose key says token.
  const named = Object.entries(parsed).filter(
    ([key, value]) => /token/i.test(key) && typeof value === "string" && value !== "",
  );
  if (named.length === 1) return named[0]?.[1] as string;
  throw new Error(
    `secret ${arn} is JSON without a "token" string (nor exactly one key naming a token)`,
  );
}

export async function openInfluxDbStoreFromEnv(
  env: NodeJS.ProcessEnv,
  secretsManager?: SecretsManagerClient,
): Promise<InfluxDbStore> {
  const url = influxUrl(env);
  const database = required(env, "INFLUXDB_DATABASE");
  const token = await loadInfluxToken(env, secretsManager);
  // A token from Secrets Manager is read again when InfluxDB refuses it (rotated, or filled in
  // after the deploy).
  const refresh =
    !env.INFLUXDB_TOKEN && env.INFLUXDB_TOKEN_SECRET_ARN
      ? { refreshToken: () => loadInfluxToken(env, secretsManager) }
      : {};
  return new InfluxDbStore({
    client: new InfluxDbClient({ url, database, ...(token ? { token } : {}), ...refresh }),
    ...(env.INFLUXDB_MEASUREMENT ? { measurement: env.INFLUXDB_MEASUREMENT } : {}),
    writeWindow: {
      maxAgeMs:
        positiveInteger(env, "WRITE_WINDOW_HOURS", DEFAULT_INFLUX_WRITE_WINDOW_HOURS) * 3_600_000,
      maxFutureMs: MAX_FUTURE_MS,
    },
  });
}
