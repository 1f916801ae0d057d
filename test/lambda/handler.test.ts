// The Lambda handler driven with API Gateway HTTP API (payload 2.0) events shaped as AWS
// documents them, answering exactly as the Node server does for the same requests.

import { gzipSync } from "node:zlib";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roleKey } from "../../api/auth/keys.ts";
import { createLambdaHandler, type LambdaHandler } from "../../api/lambda-handler.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";
import { createFakeTimestream, storeOnFake } from "../timestream/fake-timestream.ts";
import { httpApiEvent as event } from "./wire-deployment.ts";

const SECRET_ARN =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gust-api-key-secret-AbCdEf";
let handler: LambdaHandler;
let server: TestServer;

const context = {
  getRemainingTimeInMillis: () => 10_000,
  awsRequestId: "req-1",
  functionName: "gust-api",
} as unknown as Context;

beforeAll(async () => {
  const secretsManager = new SecretsManagerClient({ region: "eu-west-1" });
  mockClient(secretsManager).on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    ARN: SECRET_ARN,
    Name: "gust-api-key-secret",
    SecretString: TEST_SECRET,
    $metadata: {},
  });
  const store = storeOnFake(createFakeTimestream());
  handler = await createLambdaHandler(
    { API_KEY_SECRET_ARN: SECRET_ARN },
    { store, registry: new MemoryRegistry(), secretClients: { secretsManager } },
  );
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const reading = (turbine: string) =>
  JSON.stringify({
    turbine_id: turbine,
    time: Date.now() - 60_000,
    power_kw: 1200,
    wind_speed_ms: 8.5,
  });
const json = {
  "content-type": "application/json",
  authorization: `Bearer ${roleKey(TEST_SECRET, "operator")}`,
};

async function viaLambda(e: ReturnType<typeof event>) {
  const answer = (await handler(e, context)) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
    isBase64Encoded: boolean;
  };
  const text = answer.isBase64Encoded ? Buffer.from(answer.body, "base64").toString() : answer.body;
  return {
    status: answer.statusCode,
    contentType: answer.headers["content-type"],
    body: JSON.parse(text),
  };
}

async function viaNode(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
) {
  const response = await fetch(`${server.url}${path}`, { method, headers, body });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? undefined,
    body: (await response.json()) as any,
  };
}

describe("Lambda handler", () => {
  const cases: [
    string,
    string,
    string,
    Record<string, string>,
    Buffer | string | undefined,
    boolean,
  ][] = [
    ["plain JSON", "POST", "/v1/measurements", json, reading("lambda-1"), false],
    ["base64 body", "POST", "/v1/measurements", json, reading("lambda-2"), true],
    [
      "gzip body",
      "POST",
      "/v1/measurements",
      { ...json, "content-encoding": "gzip" },
      gzipSync(reading("lambda-3")),
      true,
    ],
    ["bad JSON", "POST", "/v1/measurements", json, '{"turbine_id":', false],
    [
      "missing auth",
      "POST",
      "/v1/measurements",
      { "content-type": "application/json" },
      reading("lambda-4"),
      false,
    ],
    [
      "schema error",
      "POST",
      "/v1/measurements",
      json,
      '{"turbine_id":"x","power_kw":"high","wind_speed_ms":3}',
      false,
    ],
    ["health", "GET", "/healthz", {}, undefined, false],
  ];
  for (const [name, method, path, headers, body, base64] of cases) {
    it(`answers ${name} as the Node server does`, async () => {
      const lambda = await viaLambda(event(method, path, { headers, body, base64 }));
      const node = await viaNode(method, path, headers, body);
      if (path === "/healthz") {
        expect(lambda).toEqual({ ...node, body: { status: "ok", store: "timestream" } });
        expect(node.body.store).toBe("duckdb");
      } else {
        expect(lambda).toEqual(node);
      }
    });
  }

  it("serves the OpenAPI document", async () => {
    const answer = await viaLambda(event("GET", "/openapi.json"));
    expect(answer.status).toBe(200);
    expect(answer.body.paths["/v1/measurements"]).toBeDefined();
  });
});

describe("the key secret on Lambda", () => {
  it("comes from SSM Parameter Store when named so", async () => {
    const ssm = new SSMClient({ region: "eu-west-1" });
    mockClient(ssm)
      .on(GetParameterCommand, { Name: "/gust/api-key-secret", WithDecryption: true })
      .resolves({
        Parameter: {
          Name: "/gust/api-key-secret",
          Type: "SecureString",
          Value: TEST_SECRET,
          Version: 1,
        },
        $metadata: {},
      });
    const store = storeOnFake(createFakeTimestream());
    const fromSsm = await createLambdaHandler(
      { API_KEY_SECRET_PARAMETER: "/gust/api-key-secret" },
      { store, registry: new MemoryRegistry(), secretClients: { ssm } },
    );
    const answer = await fromSsm(
      event("GET", "/v1/turbines/x/measurements", {
        headers: { authorization: `Bearer ${roleKey(TEST_SECRET, "reader")}` },
      }),
      context,
    );
    expect((answer as { statusCode: number }).statusCode).toBe(200);
  });

  it("fails loudly at start when no secret is configured", async () => {
    await expect(
      createLambdaHandler({ TIMESTREAM_DATABASE: "d", TIMESTREAM_TABLE: "t" }),
    ).rejects.toThrow(/API_KEY_SECRET_ARN/);
  });
});
