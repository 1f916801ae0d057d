// The deployed asset itself (infra/lambda-bundle.ts: chunks, modules left out, one store), run
// in a fresh `node` as Lambda runs it, against the wire fakes of Timestream and DynamoDB that
// the real, bundled SDK talks to. The handler tests drive the same code from source; this test
// proves that the bundle's build choices (code splitting, the stand-ins of LEFT_OUT, the
// environment-only credentials) leave every path of a turbine's first requests working.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roleKey } from "../../api/auth/keys.ts";
import { bundleLambda, type LambdaBundle } from "../../infra/lambda-bundle.ts";
import { startWireDynamoDb, type WireDynamoDb } from "../registry/wire-dynamodb.ts";
import { startWireTimestream, type WireTimestream } from "../timestream/wire-timestream.ts";

const SECRET = "bundle-test-secret-0123456789abcdef";
const OPERATOR = `Bearer ${roleKey(SECRET, "operator")}`;

let dir: string;
let bundle: LambdaBundle;
let schedule: LambdaBundle;
let timestream: WireTimestream;
let dynamodb: WireDynamoDb;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gust-lambda-bundle-"));
  [bundle, schedule, timestream, dynamodb] = await Promise.all([
    bundleLambda(dir),
    // The scheduled alarm evaluation's asset, built apart as the stack builds it.
    bundleLambda(join(dir, "schedule"), { name: "schedule", docsAssets: false }),
    // Reads right after writes: this test is about the bundle, not consistency.
    startWireTimestream({ visibilityDelayMs: 0 }),
    startWireDynamoDb("turbines", { "gust-alarms": ["pk", "sk"] }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([timestream?.close(), dynamodb?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

interface Request {
  method: string;
  path: string;
  body?: unknown;
}

/**
 * One cold container: a fresh node imports the asset and answers `requests` in order (an HTTP
 * API event each, or the given event as is). A failed invocation answers `{ error }`.
 */
async function coldContainer(
  requests: (Request | { event: object })[],
  settings: Record<string, string | undefined> = {},
  file = bundle.file,
) {
  const events = requests.map((request) =>
    "event" in request ? request.event : httpEvent(request),
  );
  const script = `
    const { handler } = await import(${JSON.stringify(file)});
    const answers = [];
    for (const event of ${JSON.stringify(events)})
      answers.push(await handler(event, { getRemainingTimeInMillis: () => 10000 })
        .catch((error) => ({ error: error.message })));
    // Node loads its fetch classes (undici) on the first use of Request, Response or Headers.
    const undici = process.moduleLoadList.some((name) => name.includes("undici"));
    // zod marks its first load on globalThis (zod/v4/core/core.js).
    const zod = "__zod_globalConfig" in globalThis;
    console.log(JSON.stringify({ answers, undici, zod }));`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", script],
    {
      env: {
        PATH: process.env.PATH,
        // The machine's clock as this test sees it: CI's calendar run shifts it with faketime,
        // whose settings a container must keep or it would judge the readings' times a year off.
        ...Object.fromEntries(
          Object.entries(process.env).filter(
            ([name]) => name === "LD_PRELOAD" || name.startsWith("FAKETIME"),
          ),
        ),
        API_KEY_SECRET: SECRET,
        TIMESTREAM_DATABASE: "gust",
        TIMESTREAM_TABLE: "readings",
        TIMESTREAM_ENDPOINT: timestream.url,
        TIMESTREAM_QUERY_ENDPOINT: timestream.url,
        REGISTRY_TABLE: "turbines",
        ALARM_TABLE: "gust-alarms",
        DYNAMODB_ENDPOINT: dynamodb.url,
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "example",
        ...settings,
      },
      encoding: "utf8",
    },
  );
  // The answers are the last line (a scheduled run logs a line of its own before).
  const last = stdout.trim().split("\n").at(-1) as string;
  const { answers, undici, zod } = JSON.parse(last) as {
    answers: { statusCode?: number; body?: string; error?: string }[];
    undici: boolean;
    zod: boolean;
  };
  return Object.assign(
    answers.map((answer) =>
      answer.error !== undefined
        ? { error: answer.error }
        : answer.statusCode === undefined
          ? { result: answer as Record<string, unknown> }
          : { status: answer.statusCode, body: JSON.parse(answer.body as string) },
    ),
    { undici, zod },
  );
}

function httpEvent({ method, path, body }: Request) {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: {
      host: "abc123.execute-api.eu-west-1.amazonaws.com",
      "content-type": "application/json",
      authorization: OPERATOR,
    },
    requestContext: {
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "t" },
      requestId: "r",
      routeKey: `${method} ${path}`,
      stage: "$default",
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

describe("the deployed Lambda asset", () => {
  it("registers a turbine, stores its reading and reads it back, through the bundled SDK", async () => {
    const time = Date.now() - 60_000;
    const [put, post, read] = await coldContainer([
      { method: "PUT", path: "/v1/turbines/bundle-1", body: { rated_kw: 3000, model: "V112" } },
      {
        method: "POST",
        path: "/v1/measurements",
        body: { turbine_id: "bundle-1", time, power_kw: 1200, wind_speed_ms: 8.5 },
      },
      { method: "GET", path: "/v1/turbines/bundle-1/measurements" },
    ]);
    expect(put?.status).toBe(201);
    expect(post).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(read?.status).toBe(200);
    expect(JSON.stringify(read?.body)).toContain('"power_kw":1200');
    expect(timestream.records.size).toBe(1);
    expect(dynamodb.items.size).toBe(1);
  }, 30_000);

  it("evaluates the alarms from the schedule's own asset, and lists them from the API's", async () => {
    const scheduled = {
      version: "0",
      id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: new Date().toISOString(),
      region: "eu-west-1",
      resources: ["arn:aws:events:eu-west-1:123456789012:rule/gust-every-minute"],
      detail: {},
    };
    const [run] = await coldContainer([{ event: scheduled }], {}, schedule.file);
    // The reading stored above is a minute old: its turbine's last-seen record is judged, nothing
    // to open.
    expect(run).toEqual({
      result: {
        turbines: 1,
        reporting: 1,
        opened: 0,
        closed: 0,
        delivered: 0,
        failed: 0,
        waiting: false,
      },
    });
    const [listed, snapshot] = await coldContainer([
      { method: "GET", path: "/v1/alarms" },
      { method: "GET", path: "/v1/live/snapshot" },
    ]);
    expect(listed).toMatchObject({ status: 200, body: { alarms: [] } });
    expect(snapshot?.status).toBe(200);
    expect(snapshot?.body.turbines.map((t: { turbine_id: string }) => t.turbine_id)).toEqual([
      "bundle-1",
    ]);
  }, 60_000);

  it("answers a turbine's first readings without Hono's web Request and Response, or zod", async () => {
    const time = Date.now() - 60_000;
    const answers = await coldContainer([
      {
        method: "POST",
        path: "/v1/measurements",
        body: { turbine_id: "bundle-2", time, power_kw: 900, wind_speed_ms: 7 },
      },
    ]);
    expect(answers[0]).toMatchObject({ status: 200, body: { accepted: 1 } });
    // Loading each is about a tenth of a cold start (README, Performance).
    expect(answers.undici).toBe(false);
    expect(answers.zod).toBe(false);
    // A bad reading needs the schemas for its 422; a read needs the app, and both load.
    const after = await coldContainer([
      { method: "POST", path: "/v1/measurements", body: { turbine_id: "bundle-2", power_kw: "x" } },
      { method: "GET", path: "/v1/turbines/bundle-2/measurements" },
    ]);
    expect(after[0]).toMatchObject({ status: 422 });
    expect(after[1]?.status).toBe(200);
    expect([after.undici, after.zod]).toEqual([true, true]);
  }, 30_000);

  it("answers its OpenAPI document, which no part left out of the bundle is needed for", async () => {
    const [doc] = await coldContainer([{ method: "GET", path: "/openapi.json" }]);
    expect(doc?.status).toBe(200);
    expect(Object.keys(doc?.body.paths)).toContain("/v1/measurements");
  }, 30_000);

  it("fails an event of a kind it does not serve, saying which kinds it serves", async () => {
    const [answer] = await coldContainer([{ event: { source: "aws.s3", detail: {} } }]);
    expect(answer?.error).toMatch(/answers HTTP API request .*this event is none of them/);
  }, 30_000);

  it("fails every request loudly while a setting is missing", async () => {
    const answers = await coldContainer(
      [
        { method: "GET", path: "/v1/turbines/bundle-1/measurements" },
        { method: "GET", path: "/v1/turbines/bundle-1/measurements" },
      ],
      { TIMESTREAM_TABLE: undefined },
    );
    expect([...answers]).toEqual([
      { error: expect.stringContaining("TIMESTREAM_TABLE is not set") },
      { error: expect.stringContaining("TIMESTREAM_TABLE is not set") },
    ]);
  }, 30_000);
});
