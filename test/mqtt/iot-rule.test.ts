// The ingest function invoked by the IoT Core topic rule (infra/mqtt-ingest.ts), with the event
// AWS documents for a Lambda rule action: the JSON object the rule's SELECT makes of a message.
import { gzipSync } from "node:zlib";
import { beforeAll, expect, it } from "vitest";
import { appDeps } from "../../api/app.ts";
import { answerIotRule, isIotRuleEvent } from "../../api/mqtt/iot-rule.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import type { AppDeps } from "../../api/routes/deps.ts";
import { StoreUnavailableError } from "../../api/store/port.ts";
import { reading, TEST_SECRET } from "../api/fixture.ts";
import { httpApiEvent } from "../lambda/wire-deployment.ts";
import { fixedClock } from "../support/manual-clock.ts";
import {
  createFakeTimestream,
  type FakeTimestream,
  storeOnFake,
} from "../timestream/fake-timestream.ts";

const NOW = Date.parse("2026-03-02T12:00:00Z");
let fake: FakeTimestream;
let deps: AppDeps;
// The ingest function's dependencies as api/lambda-handler.ts builds them, over a fake Timestream.
beforeAll(() => {
  fake = createFakeTimestream({ now: () => NOW });
  deps = appDeps({
    store: storeOnFake(fake),
    registry: new MemoryRegistry(() => NOW),
    keySecret: async () => TEST_SECRET,
    clock: fixedClock(NOW),
  });
});
const handler = (event: unknown) => {
  if (!isIotRuleEvent(event)) throw new Error("not a rule event");
  return answerIotRule(event, deps);
};

/** What `SELECT encode(*, 'base64') AS payload, topic() AS topic, topic(4) AS turbine_id, clientid() AS client_id` gives. */
function ruleEvent(turbineId: string, payload: Buffer, gzip = false) {
  return {
    payload: payload.toString("base64"),
    topic: `gust/v1/turbines/${turbineId}/readings${gzip ? "/gzip" : ""}`,
    turbine_id: turbineId,
    client_id: turbineId,
  };
}

const turbineRecords = (id: string) =>
  [...fake.records.values()].filter((record) => record.dimensions.turbine_id === id);

it("stores a thing's readings once, gzip too, with the HTTP answer", async () => {
  const body = Buffer.from(JSON.stringify(reading("iot-1", 3, {}, NOW)));
  expect(await handler(ruleEvent("iot-1", body))).toMatchObject({
    status: 200,
    body: { accepted: 1 },
  });
  // Timestream has no read before a write: a resend is counted as accepted, and stored once.
  expect(await handler(ruleEvent("iot-1", body))).toMatchObject({
    body: { accepted: 1, duplicates: 0 },
  });
  const zipped = gzipSync(JSON.stringify(reading("iot-1", 2, {}, NOW)));
  expect(await handler(ruleEvent("iot-1", zipped, true))).toMatchObject({
    body: { accepted: 1 },
  });
  expect(turbineRecords("iot-1").length).toBeGreaterThan(0);
});

it("keeps to the topic's turbine and answers bad JSON as HTTP does", async () => {
  const other = Buffer.from(JSON.stringify(reading("iot-3", 1, {}, NOW)));
  expect(await handler(ruleEvent("iot-2", other))).toMatchObject({ status: 403 });
  expect(turbineRecords("iot-3")).toHaveLength(0);
  expect(await handler(ruleEvent("iot-2", Buffer.from("{oops")))).toMatchObject({
    status: 400,
  });
});

it("tells the rule's event from an HTTP API request, and refuses one on another topic", async () => {
  expect(isIotRuleEvent(httpApiEvent("POST", "/v1/measurements", {}))).toBe(false);
  const event = ruleEvent("iot-4", Buffer.from("{}"));
  await expect(handler({ ...event, topic: "gust/v1/turbines/iot-5/readings" })).rejects.toThrow(
    /not a readings topic/,
  );
});

it("throws when the store cannot take the readings, so that Lambda retries the event", async () => {
  const store = storeOnFake(fake);
  store.write = async () => {
    throw new StoreUnavailableError("Timestream is throttling");
  };
  const failing = appDeps({
    store,
    registry: new MemoryRegistry(() => NOW),
    keySecret: async () => TEST_SECRET,
    clock: fixedClock(NOW),
  });
  const body = Buffer.from(JSON.stringify(reading("iot-6", 1, {}, NOW)));
  await expect(answerIotRule(ruleEvent("iot-6", body), failing)).rejects.toThrow(/Lambda retries/);
});
