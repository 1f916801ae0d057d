// STORE=influxdb from the environment: the Node server (readings in InfluxDB, registry in the
// DuckDB file), the Lambda (token from Secrets Manager), and what a wrong setting says.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roleKey } from "../../api/auth/keys.ts";
import { readLocalConfig } from "../../api/config.ts";
import { createLambdaHandler } from "../../api/lambda-handler.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import { startLocalServer } from "../../api/server.ts";
import {
  influxUrl,
  loadInfluxToken,
  openInfluxDbStoreFromEnv,
} from "../../api/store/influxdb-env.ts";
import { type InfluxDbServer, startInfluxDb } from "../support/influxdb.ts";

const SECRET = "config-secret-0123456789abcdef";
const TOKEN_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:influx-token-AbCdEf";
let influx: InfluxDbServer;
beforeAll(async () => {
  influx = await startInfluxDb();
  await influx.createDatabase("cfg");
});
afterAll(async () => {
  await influx?.stop();
});

function secretsManagerWith(secretString: string): SecretsManagerClient {
  const client = new SecretsManagerClient({ region: "eu-west-1" });
  mockClient(client)
    .on(GetSecretValueCommand, { SecretId: TOKEN_ARN })
    .resolves({ SecretString: secretString, $metadata: {} });
  return client;
}

describe("settings", () => {
  it("takes STORE=influxdb and refuses unknown stores", () => {
    expect(readLocalConfig({ STORE: "influxdb" }).store).toBe("influxdb");
    expect(() => readLocalConfig({ STORE: "influx" })).toThrow(
      /"duckdb", "timestream" or "influxdb"/,
    );
  });

  it("checks INFLUXDB_URL and INFLUXDB_DATABASE, saying what to set", async () => {
    expect(() => influxUrl({})).toThrow(/INFLUXDB_URL is not set/);
    expect(() => influxUrl({ INFLUXDB_URL: "influx:8086" })).toThrow(/http\(s\)/);
    expect(() => influxUrl({ INFLUXDB_URL: "not a url" })).toThrow(/not a URL/);
    expect(influxUrl({ INFLUXDB_URL: "https://influx.example.com:8086/" })).toBe(
      "https://influx.example.com:8086",
    );
    await expect(openInfluxDbStoreFromEnv({ INFLUXDB_URL: influx.url })).rejects.toThrow(
      /INFLUXDB_DATABASE is not set/,
    );
  });

  it("reads the token from INFLUXDB_TOKEN, or from Secrets Manager as text or JSON", async () => {
    expect(await loadInfluxToken({ INFLUXDB_TOKEN: "t1" })).toBe("t1");
    expect(await loadInfluxToken({})).toBeUndefined();
    const env = { INFLUXDB_TOKEN_SECRET_ARN: TOKEN_ARN };
    expect(await loadInfluxToken(env, secretsManagerWith("plain-token\n"))).toBe("plain-token");
    expect(await loadInfluxToken(env, secretsManagerWith('{"token":"json-token"}'))).toBe(
      "json-token",
    );
    await expect(loadInfluxToken(env, secretsManagerWith('{"tok":"x"}'))).rejects.toThrow(
      /without a "token"/,
    );
  });
});

it("runs the Node server with readings in InfluxDB and the registry in the DuckDB file", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "gust-influx-serve-"));
  const store = await openInfluxDbStoreFromEnv({
    INFLUXDB_URL: influx.url,
    INFLUXDB_DATABASE: "cfg",
    INFLUXDB_MEASUREMENT: "served",
  });
  const server = await startLocalServer({ dataDir, keySecret: SECRET, readingStore: store });
  try {
    const operator = { authorization: `Bearer ${roleKey(SECRET, "operator")}` };
    const put = await fetch(`${server.url}/v1/turbines/S1`, {
      method: "PUT",
      headers: { ...operator, "content-type": "application/json" },
      body: JSON.stringify({ rated_kw: 3000, project: "Served", tags: { province: "Utrecht" } }),
    });
    expect(put.status).toBeLessThan(300);
    const time = Date.now() - 60_000;
    const post = await fetch(`${server.url}/v1/measurements`, {
      method: "POST",
      headers: { ...operator, "content-type": "application/json" },
      body: JSON.stringify({ turbine_id: "S1", time, power_kw: 12, wind_speed_ms: 4 }),
    });
    expect(post.status).toBe(200);
    const health = await (await fetch(`${server.url}/healthz`)).json();
    expect(health).toMatchObject({ status: "ok", store: "influxdb" });
    // The point is in InfluxDB, tagged with the registry's dimensions.
    const rows = await store.select('SELECT * FROM "served"');
    expect(rows).toMatchObject([
      { power_kw: 12, time, turbine_id: "S1", project: "Served", province: "Utrecht" },
    ]);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it("runs the Lambda with STORE=influxdb and the token from Secrets Manager", async () => {
  const secretsManager = new SecretsManagerClient({ region: "eu-west-1" });
  mockClient(secretsManager)
    .on(GetSecretValueCommand, { SecretId: TOKEN_ARN })
    .resolves({ SecretString: "lambda-token", $metadata: {} });
  const handler = await createLambdaHandler(
    {
      API_KEY_SECRET: SECRET,
      STORE: "influxdb",
      INFLUXDB_URL: influx.url,
      INFLUXDB_DATABASE: "cfg",
      INFLUXDB_TOKEN_SECRET_ARN: TOKEN_ARN,
    },
    { registry: new MemoryRegistry(), secretClients: { secretsManager } },
  );
  const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
  const answer = (await handler(
    {
      version: "2.0",
      routeKey: "GET /healthz",
      rawPath: "/healthz",
      rawQueryString: "",
      headers: { host: "x.execute-api.eu-west-1.amazonaws.com" },
      requestContext: { http: { method: "GET", path: "/healthz" }, stage: "$default" },
      isBase64Encoded: false,
    },
    context,
  )) as { statusCode: number; body: string };
  expect(answer.statusCode).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({ status: "ok", store: "influxdb" });
});
