// A dependency that never answers (DynamoDB, Secrets Manager) costs a request its deadline, not
// the Lambda's timeout: the answer is gust's 503 with Retry-After, on the one clock the handler
// is given (the fakes hang; the manual clock passes the deadline).
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbAlarmReader } from "../../api/alarms/dynamodb-store.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { loadCloudSecret } from "../../api/auth/secret-aws.ts";
import { createLambdaHandler, type LambdaHandler } from "../../api/lambda-handler.ts";
import { DependencyUnavailableError, withDeadline } from "../../api/time/deadline.ts";
import { HANG, startAwsJsonServer } from "../support/aws-json-server.ts";
import { ManualClock } from "../support/manual-clock.ts";
import {
  ALARM_TABLE,
  httpApiEvent,
  startWireDeployment,
  type WireDeployment,
} from "./wire-deployment.ts";

const SECRET = "deadline-secret-0123456789abcdef";
const READER = `Bearer ${roleKey(SECRET, "reader")}`;
const context = { getRemainingTimeInMillis: () => 15_000 } as unknown as Context;

let clock: ManualClock;
let deployment: WireDeployment;
let api: LambdaHandler;

beforeAll(async () => {
  clock = new ManualClock("2030-06-01T12:00:00Z");
  deployment = await startWireDeployment(clock);
  api = await createLambdaHandler(
    { API_KEY_SECRET: SECRET },
    {
      store: deployment.store,
      registry: deployment.registry,
      alarms: new DynamoDbAlarmReader(deployment.dynamodb.client(), ALARM_TABLE, clock),
      clock,
    },
  );
});
afterAll(async () => {
  await deployment?.close();
});

async function answerOf(method: string, path: string) {
  const answer = clock.runUntil(
    api(httpApiEvent(method, path, { headers: { authorization: READER } }) as never, context),
    { what: `${method} ${path}` },
  );
  return (await answer) as { statusCode: number; headers: Record<string, string>; body: string };
}

describe("a DynamoDB that does not answer", () => {
  it("answers GET /v1/turbines 503 with Retry-After at the deadline (the registry)", async () => {
    const start = clock.now();
    deployment.dynamodb.hangNext = 1_000;
    const answer = await answerOf("GET", "/v1/turbines");
    deployment.dynamodb.hangNext = 0;
    expect(answer.statusCode).toBe(503);
    expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
    expect(answer.body).toMatch(/send the same request again/i);
    // Within the invocation's time, never past it.
    expect(clock.now() - start).toBeLessThan(15_000);
  });

  it("answers GET /v1/alarms 503 with Retry-After at the deadline (the alarm table)", async () => {
    deployment.dynamodb.hangNext = 1_000;
    deployment.dynamodb.hangTable = ALARM_TABLE;
    const answer = await answerOf("GET", "/v1/alarms");
    deployment.dynamodb.hangNext = 0;
    expect(answer.statusCode).toBe(503);
    expect(answer.headers["retry-after"]).toBeDefined();
    expect(JSON.parse(answer.body).detail).toMatch(/try again after retry-after/i);
  });

  it("answers again once DynamoDB does", async () => {
    expect((await answerOf("GET", "/v1/alarms")).statusCode).toBe(200);
  });
});

describe("a Secrets Manager that does not answer", () => {
  it("is a DependencyUnavailableError at the deadline, which the entry answers 503", async () => {
    const hanging = await startAwsJsonServer({
      errorNamespace: "com.amazonaws.secretsmanager",
      handle: () => HANG,
    });
    const secretsManager = new SecretsManagerClient({
      endpoint: hanging.url,
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: 1,
    });
    try {
      const read = withDeadline(clock.now() + 5_000, () =>
        loadCloudSecret(
          { API_KEY_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:1:secret:k" },
          { secretsManager },
          clock,
        ),
      );
      await expect(clock.runUntil(read, { what: "the secret read" })).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
    } finally {
      secretsManager.destroy();
      await hanging.close();
    }
  });
});
