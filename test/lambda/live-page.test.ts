// The live page as the Lambda deployment serves it: real Debian Chromium against a loopback
// server that hands each request to the API function as an API Gateway HTTP API (payload 2.0)
// event, with the readings in the wire Timestream and the registry and alarms in the wire
// DynamoDB. The stream answers 501 there, so the page polls GET /v1/live/snapshot: its numbers
// follow the stored readings and match the snapshot, and the silent turbine's alarm (opened by
// the scheduled evaluation) shows, all from the deployment's own origin.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DynamoDbLastSeen } from "../../api/alarms/dynamodb-last-seen.ts";
import { DynamoDbAlarmReader, DynamoDbAlarmStore } from "../../api/alarms/dynamodb-store.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { createLambdaHandler, type LambdaHandler } from "../../api/lambda-handler.ts";
import { createScheduleHandler } from "../../api/lambda-schedule-handler.ts";
import { launchChromium, watchPage } from "../support/chromium.ts";
import {
  ALARM_TABLE,
  httpApiEvent,
  startWireDeployment,
  type WireDeployment,
} from "./wire-deployment.ts";

const SECRET = "lambda-live-page-secret-0123456789ab";
const OPERATOR = `Bearer ${roleKey(SECRET, "operator")}`;
const MINUTE = 60_000;
// The deadline runs on the machine's clock here (a real browser polls a real server): a generous
// one, so that a loaded machine's slow answers stay answers, not 503s at the deadline.
const context = { getRemainingTimeInMillis: () => 120_000 } as unknown as Context;

let deployment: WireDeployment;
let api: LambdaHandler;
let gateway: Server;
let url = "";

/** API Gateway in front of the function: each request as a payload 2.0 event. */
function startGateway(handler: LambdaHandler): Promise<Server> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = new URL(request.url ?? "/", "http://gateway");
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [
        k,
        Array.isArray(v) ? v.join(",") : String(v),
      ]),
    );
    const method = request.method ?? "GET";
    const body = Buffer.concat(chunks);
    const answer = (await handler(
      httpApiEvent(method, target.pathname, {
        headers,
        query: target.search.slice(1),
        ...(body.length ? { body, base64: true } : {}),
      }),
      context,
    )) as {
      statusCode: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
    };
    response.writeHead(answer.statusCode, answer.headers ?? {});
    response.end(
      answer.body === undefined
        ? undefined
        : Buffer.from(answer.body, answer.isBase64Encoded ? "base64" : "utf8"),
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function post(path: string, body: unknown, method = "POST") {
  const answer = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: OPERATOR, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(answer.status, await answer.clone().text()).toBeLessThan(300);
}

const readingsOf = (turbine: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    turbine_id: turbine,
    time: Date.now() + (from + i) * MINUTE,
    power_kw: 500 + i,
    wind_speed_ms: 3.5,
    status: "producing",
  }));

beforeAll(async () => {
  deployment = await startWireDeployment();
  const { store, registry, dynamodb } = deployment;
  api = await createLambdaHandler(
    { API_KEY_SECRET: SECRET, LIVE_SNAPSHOT_CACHE_SECONDS: "1" },
    {
      store,
      registry,
      alarms: new DynamoDbAlarmReader(dynamodb.client(), ALARM_TABLE),
      lastSeen: new DynamoDbLastSeen(dynamodb.client(), ALARM_TABLE),
    },
  );
  gateway = await startGateway(api);
  url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  for (const [id, province] of [
    ["p-1", "Flevoland"],
    ["p-2", "Groningen"],
    ["p-3", "Zeeland"],
  ]) {
    await post(
      `/v1/turbines/${id}`,
      {
        project: "Proef",
        model: "Vestas V66",
        rated_kw: 1750,
        latitude: 52.4,
        longitude: 5.5,
        tags: { province },
      },
      "PUT",
    );
  }
  await post("/v1/measurements", {
    readings: [
      ...readingsOf("p-1", -10, 0),
      ...readingsOf("p-2", -10, 0),
      ...readingsOf("p-3", -14, -8),
    ],
  });
  const schedule = await createScheduleHandler(
    {},
    {
      registry,
      alarms: new DynamoDbAlarmStore(dynamodb.client(), ALARM_TABLE),
      lastSeen: new DynamoDbLastSeen(dynamodb.client(), ALARM_TABLE),
    },
  );
  await schedule({ source: "aws.events", "detail-type": "Scheduled Event", detail: {} }, {
    getRemainingTimeInMillis: () => 50_000,
  } as unknown as Context);
}, 60_000);
afterAll(async () => {
  gateway?.close();
  await deployment?.close();
});

const POLL = { timeout: 20_000, interval: 250 };

it("polls the snapshot on Lambda: numbers follow the store, the silent turbine's alarm shows", async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const { requests, errors } = watchPage(page);
    const reader = roleKey(SECRET, "reader");
    await page.goto(`${url}/live#key=${reader}`);
    await expect
      .poll(() => page.locator("#connection").getAttribute("data-state"), POLL)
      .toBe("polling");
    await expect.poll(() => page.locator("#turbine-marks circle").count(), POLL).toBe(3);
    await page
      .locator('#alarms li[data-rule="silent"][data-turbine="p-3"]')
      .waitFor({ timeout: 20_000 });
    const numberIn = async (id: string) =>
      Number(await page.locator(`#${id}`).getAttribute("data-value"));
    expect(await numberIn("turbines-reporting")).toBe(2);
    // On Lambda the total is the reporting turbines' rates over 15 minutes (the last-seen records
    // keep no count): two turbines reporting once a minute.
    const before = await numberIn("readings-total");
    expect(before).toBe(2 * 15);

    // More readings are stored: the next polls show them.
    await post("/v1/measurements", { readings: readingsOf("p-3", 0, 0) });
    await expect.poll(() => numberIn("readings-total"), POLL).toBeGreaterThan(before);
    await expect.poll(() => numberIn("turbines-reporting"), POLL).toBe(3);
    const answer = await fetch(`${url}/v1/live/snapshot`, {
      headers: { authorization: `Bearer ${reader}` },
    });
    const snapshot = (await answer.json()) as { fleet: { power_kw: number } };
    expect(await numberIn("fleet-power")).toBeCloseTo(snapshot.fleet.power_kw, 0);

    const origin = new URL(url).origin;
    expect(requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith("data:"))).toEqual(
      [],
    );
    // The stream's 501 is the only failed request the page makes.
    expect(errors.filter((e) => !/501|EventSource/.test(e))).toEqual([]);
  } finally {
    await browser.close();
  }
}, 60_000);
