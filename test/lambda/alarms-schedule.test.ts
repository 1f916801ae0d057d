// Alarms on Lambda, end to end against the wire fakes the real SDK talks to (Timestream for the
// readings, DynamoDB for the registry and the alarm table): readings and rejected readings go in
// through the API function (API Gateway v2 events), the scheduled evaluation's function is
// invoked with EventBridge's Scheduled Event as AWS documents it, and GET /v1/alarms and
// /v1/live/snapshot answer through the API function. The webhook goes to a receiver on loopback.
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ALARM_RULES } from "../../api/alarms/config.ts";
import { DynamoDbLastSeen } from "../../api/alarms/dynamodb-last-seen.ts";
import { DynamoDbAlarmReader, DynamoDbAlarmStore } from "../../api/alarms/dynamodb-store.ts";
import { lastSeenChanges } from "../../api/alarms/last-seen.ts";
import type { ScheduledEvaluation } from "../../api/alarms/scheduled.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { createLambdaHandler, type LambdaHandler } from "../../api/lambda-handler.ts";
import { createScheduleHandler, type ScheduleHandler } from "../../api/lambda-schedule-handler.ts";
import { placeOf } from "../../api/live/places.ts";
import type { DynamoDbRegistry } from "../../api/registry/dynamodb-registry.ts";
import type { TimestreamStore } from "../../api/store/timestream-store.ts";
import type { WireDynamoDb } from "../registry/wire-dynamodb.ts";
import { ManualClock } from "../support/manual-clock.ts";
import {
  ALARM_TABLE,
  httpApiEvent,
  startWireDeployment,
  type WireDeployment,
} from "./wire-deployment.ts";

const SECRET = "lambda-alarms-secret-0123456789abcdef";
const HOOK_SECRET = "hook-secret-0123456789";
const OPERATOR = `Bearer ${roleKey(SECRET, "operator")}`;
const READER = `Bearer ${roleKey(SECRET, "reader")}`;
const MINUTE = 60_000;

/** EventBridge's event for a schedule rule, as the EventBridge user guide shows it. */
const scheduledEvent = (time: number) => ({
  version: "0",
  id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z"),
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/gust-AlarmScheduleEveryMinute"],
  detail: {},
});
const context = (ms = 50_000) =>
  ({ getRemainingTimeInMillis: () => ms, awsRequestId: "r" }) as unknown as Context;

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

let deployment: WireDeployment;
let dynamodb: WireDynamoDb;
let api: LambdaHandler;
let schedule: ScheduleHandler;
let alarms: DynamoDbAlarmStore;
let store: TimestreamStore;
let lastSeen: DynamoDbLastSeen;
let registry: DynamoDbRegistry;
let receiver: Server;
let receiverPort = 0;
const deliveries: Delivery[] = [];
// Readings are placed around the start of the run; the app and its fakes share one clock.
const base = Date.now();
const clock = new ManualClock(base);
const now = clock.now;

function startReceiver(port = 0): Promise<Server> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
    response.writeHead(204).end();
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => {
      receiverPort = (server.address() as AddressInfo).port;
      resolve(server);
    }),
  );
}

async function call(method: string, path: string, body?: unknown, query = "") {
  const answer = (await api(
    httpApiEvent(method, path, {
      headers: {
        "content-type": "application/json",
        authorization: method === "GET" ? READER : OPERATOR,
      },
      query,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    context(10_000),
  )) as { statusCode: number; headers: Record<string, string>; body: string };
  return {
    status: answer.statusCode,
    type: answer.headers["content-type"],
    body: JSON.parse(answer.body),
  };
}

/** Readings of `turbine` every minute from `from` to `to` minutes (relative to base). */
function readings(turbine: string, from: number, to: number, extra: object = {}) {
  const list = [];
  for (let m = from; m <= to; m++) {
    list.push({
      turbine_id: turbine,
      time: base + m * MINUTE,
      power_kw: 100,
      wind_speed_ms: 3.5,
      status: "producing",
      ...extra,
    });
  }
  return list;
}

const run = async (at: number) => {
  clock.set(base + at);
  return (await schedule(scheduledEvent(now()), context())) as ScheduledEvaluation;
};

const signed = (delivery: Delivery) => {
  const timestamp = String(delivery.headers["x-gust-timestamp"]);
  const expected = `sha256=${createHmac("sha256", HOOK_SECRET).update(`${timestamp}.${delivery.body}`).digest("hex")}`;
  return delivery.headers["x-gust-signature"] === expected;
};

beforeAll(async () => {
  [deployment, receiver] = await Promise.all([startWireDeployment(clock), startReceiver()]);
  ({ dynamodb, store, registry } = deployment);
  alarms = new DynamoDbAlarmStore(dynamodb.client(), ALARM_TABLE);
  lastSeen = new DynamoDbLastSeen(dynamodb.client(), ALARM_TABLE, clock);
  api = await createLambdaHandler(
    { API_KEY_SECRET: SECRET },
    {
      store,
      registry,
      alarms: new DynamoDbAlarmReader(dynamodb.client(), ALARM_TABLE),
      lastSeen,
      clock,
    },
  );
  schedule = await createScheduleHandler(
    {
      ALARM_WEBHOOK_URL: `http://127.0.0.1:${receiverPort}/hook`,
      ALARM_WEBHOOK_SECRET: HOOK_SECRET,
      ALARM_WEBHOOK_BACKOFF_MS: "1000",
      ALARM_REJECTIONS_PER_HOUR: "1",
    },
    { lastSeen, registry, alarms, clock },
  );
  for (const id of ["t-ok", "t-silent", "t-fault"]) {
    const put = await call("PUT", `/v1/turbines/${id}`, {
      project: "Proef",
      model: "Vestas V66",
      rated_kw: 1750,
      latitude: 52.4,
      longitude: 5.5,
      tags: { province: "Flevoland" },
    });
    expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
  }
  const posted = await call("POST", "/v1/measurements", {
    readings: [
      ...readings("t-ok", -10, 0),
      ...readings("t-silent", -14, -8),
      ...readings("t-fault", -10, -2),
      ...readings("t-fault", -1, 0, { status: "fault", power_kw: 0 }),
    ],
  });
  expect(posted.status, JSON.stringify(posted.body)).toBe(200);
}, 60_000);
afterAll(async () => {
  receiver.close();
  await deployment.close();
});

describe("the scheduled evaluation on Lambda", () => {
  it("counts rejected readings in the alarm table, one UpdateItem per turbine of the answer", async () => {
    const before = dynamodb.calls.filter((c) => c.operation === "UpdateItem").length;
    const answer = await call("POST", "/v1/measurements", {
      readings: [
        { turbine_id: "t-ok", time: base + 120 * MINUTE, power_kw: 1, wind_speed_ms: 3 },
        { turbine_id: "t-ok", time: base + 121 * MINUTE, power_kw: 1, wind_speed_ms: 3 },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.rejected).toHaveLength(2);
    const updates = dynamodb.calls.filter((c) => c.operation === "UpdateItem").slice(before);
    expect(updates).toHaveLength(1);
    const counters = [...(dynamodb.tables.get(ALARM_TABLE)?.items.values() ?? [])].filter((item) =>
      item.pk?.S?.startsWith("rejections#"),
    );
    expect(counters.map((item) => Number(item.count?.N))).toEqual([2]);
  });

  it("opens a silent turbine's, a fault's and a rejections alarm, and delivers them signed", async () => {
    const result = await run(0);
    expect(result).toMatchObject({ opened: 3, closed: 0, delivered: 3, failed: 0, waiting: false });
    const listed = await call("GET", "/v1/alarms", undefined, "state=open");
    expect(listed.status).toBe(200);
    expect(
      listed.body.alarms
        .map((a: { turbine_id: string; rule: string }) => `${a.turbine_id} ${a.rule}`)
        .sort(),
    ).toEqual(["t-fault fault", "t-ok rejections", "t-silent silent"]);
    const silent = listed.body.alarms.find((a: { rule: string }) => a.rule === "silent");
    expect(silent.detail).toMatch(/no reading for 8 min/);
    expect(silent.reading.time).toBe(new Date(base - 8 * MINUTE).toISOString());
    expect(deliveries).toHaveLength(3);
    expect(deliveries.every(signed)).toBe(true);
    expect(deliveries.map((d) => d.headers["x-gust-delivery"])).toEqual(["1", "2", "3"]);
    expect(deliveries.map((d) => JSON.parse(d.body).type)).toEqual([
      "alarm.opened",
      "alarm.opened",
      "alarm.opened",
    ]);
  });

  it("does not open an alarm twice when two runs overlap", async () => {
    // The second run read the open alarms before the first stored its changes: replay that.
    const stale = Object.create(alarms) as DynamoDbAlarmStore;
    stale.openAlarms = async () => [];
    const overlapping = await createScheduleHandler(
      { ALARM_REJECTIONS_PER_HOUR: "1" },
      { lastSeen, registry, alarms: stale, clock },
    );
    const transactions = dynamodb.transactions;
    const result = (await overlapping(scheduledEvent(now()), context())) as ScheduledEvaluation;
    expect(result.opened).toBe(0);
    expect(dynamodb.transactions).toBeGreaterThan(transactions); // it tried, and was refused
    const open = await call("GET", "/v1/alarms", undefined, "state=open");
    expect(open.body.alarms).toHaveLength(3);
    expect(await alarms.lastSeq()).toBe(3);
  });

  it("answers the snapshot from the last-seen records, the registry and the open alarms", async () => {
    const queries = deployment.timestream.billing.queries;
    const snapshot = await call("GET", "/v1/live/snapshot");
    expect(snapshot.status).toBe(200);
    const turbines = Object.fromEntries(
      snapshot.body.turbines.map((t: { turbine_id: string }) => [t.turbine_id, t]),
    );
    expect(Object.keys(turbines).sort()).toEqual(["t-fault", "t-ok", "t-silent"]);
    expect(turbines["t-silent"]).toMatchObject({
      silent: true,
      province: "Flevoland",
      model: "Vestas V66",
    });
    expect(turbines["t-ok"]).toMatchObject({ silent: false, power_kw: 100, interval_s: 60 });
    expect(turbines["t-fault"]).toMatchObject({ silent: false, status: "fault", power_kw: 0 });
    expect(snapshot.body.fleet).toMatchObject({
      power_kw: 100,
      capacity_kw: 3 * 1750,
      turbines: 3,
      turbines_reporting: 2,
      open_alarms: 3,
      // On Lambda the count covers the window the snapshot reads: 15 minutes.
      readings_since: new Date(base - 15 * MINUTE).toISOString(),
    });
    expect(snapshot.body.alarms).toHaveLength(3);
    expect(snapshot.body.last_event_id).toBe("3");
    // The fleet's power as the schedule kept it, minute by minute (one run so far).
    expect(snapshot.body.history.points).toEqual([
      {
        time: new Date(Math.floor(base / MINUTE) * MINUTE).toISOString(),
        power_kw: 100,
        turbines: 2,
      },
    ]);
    // Neither the schedule nor the snapshot queried the store of readings.
    expect(deployment.timestream.billing.queries).toBe(queries);
    const stream = await call("GET", "/v1/live");
    expect(stream.status).toBe(501);
    expect(stream.body.detail).toMatch(/poll GET \/v1\/live\/snapshot/);
  });

  it("closes alarms when turbines recover; a receiver that is down loses nothing", async () => {
    const posted = await call("POST", "/v1/measurements", {
      readings: [...readings("t-silent", 1, 2), ...readings("t-fault", 1, 2)],
    });
    expect(posted.status).toBe(200);
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    const down = await run(2 * MINUTE);
    expect(down).toMatchObject({ opened: 0, closed: 2, delivered: 0, failed: 1, waiting: true });
    expect((await alarms.outboxHead())?.event.seq).toBe(4);
    // Before the retry time nothing is tried; after it, everything arrives, in order.
    receiver = await startReceiver(receiverPort);
    const early = await run(2 * MINUTE + 100);
    expect(early).toMatchObject({ delivered: 0, waiting: true });
    const back = await run(3 * MINUTE);
    expect(back).toMatchObject({ opened: 0, closed: 0, delivered: 2, waiting: false });
    const closed = deliveries.slice(3);
    expect(closed.map((d) => d.headers["x-gust-delivery"])).toEqual(["4", "5"]);
    expect(closed.map((d) => JSON.parse(d.body).type)).toEqual(["alarm.closed", "alarm.closed"]);
    expect(closed.every(signed)).toBe(true);
    const listed = await call("GET", "/v1/alarms", undefined, "state=closed&turbine_id=t-fault");
    expect(listed.body.alarms).toHaveLength(1);
    expect(listed.body.alarms[0].closed_at).toBe(new Date(base + 2 * MINUTE).toISOString());
    const open = await call("GET", "/v1/alarms", undefined, "state=open");
    expect(open.body.alarms.map((a: { rule: string }) => a.rule)).toEqual(["rejections"]);
  });

  it("lists a turbine quiet for longer than the store is asked about (24 h) from its record", async () => {
    // A turbine last heard from two days ago (its record stays 30 days; the store is not asked).
    await lastSeen.record(
      lastSeenChanges(
        [{ ...readings("t-quiet", 0, 0)[0], time: base - 2 * 86_400_000 } as never],
        () => placeOf(null),
        DEFAULT_ALARM_RULES,
      ),
    );
    {
      const listed = await call("GET", "/v1/turbines");
      expect(listed.status).toBe(200);
      const quiet = listed.body.turbines.find(
        (t: { turbine_id: string }) => t.turbine_id === "t-quiet",
      );
      expect(quiet).toMatchObject({
        registered: false,
        last_seen: new Date(base - 2 * 86_400_000).toISOString(),
        readings_24h: 0,
      });
      const ok = listed.body.turbines.find((t: { turbine_id: string }) => t.turbine_id === "t-ok");
      expect(ok.readings_24h).toBeGreaterThan(0);
    }
  });

  it("refuses an event that is not EventBridge's Scheduled Event", async () => {
    await expect(schedule({ version: "2.0", routeKey: "GET /" }, context())).rejects.toThrow(
      /Scheduled Event only/,
    );
  });
});
