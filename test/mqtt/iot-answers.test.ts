// Answers on AWS IoT Core: the ingest function, invoked by the readings rule, publishes the
// answer a gateway gets from gust's own broker on the thing's answers topic, through the data
// plane's Publish API (a fake that behaves as AWS documents it), with the function's IAM scope.
import { IoTDataPlaneClient } from "@aws-sdk/client-iot-data-plane";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { appDeps } from "../../api/app.ts";
import { fitToIot, IOT_MAX_PAYLOAD_BYTES, iotAnswerPublisher } from "../../api/mqtt/iot-answers.ts";
import { answerIotRule } from "../../api/mqtt/iot-rule.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import type { AppDeps } from "../../api/routes/deps.ts";
import { reading, TEST_SECRET } from "../api/fixture.ts";
import { fixedClock } from "../support/manual-clock.ts";
import { createFakeTimestream, storeOnFake } from "../timestream/fake-timestream.ts";
import { type FakeIotData, startFakeIotData } from "./fake-iot-data.ts";

const NOW = Date.parse("2026-03-02T12:00:00Z");
const REGION = "eu-west-1";
const ACCOUNT = "123456789012";
let iot: FakeIotData;
let deps: AppDeps;

/** The publisher as the function builds it, on the fake's endpoint, with the role's scope. */
function publisher(allow = iot) {
  return iotAnswerPublisher(
    {},
    new IoTDataPlaneClient({
      endpoint: allow.url,
      region: REGION,
      credentials: { accessKeyId: "AKIDFUNCTIONROLE", secretAccessKey: "function-role-secret" },
      // One try: the SDK's backoff would make the test wait on time.
      maxAttempts: 1,
    }),
  );
}

beforeAll(async () => {
  // The function role's iot:Publish resource, as infra/mqtt-ingest.ts grants it.
  iot = await startFakeIotData({
    region: REGION,
    account: ACCOUNT,
    allowPublish: [`arn:aws:iot:${REGION}:${ACCOUNT}:topic/gust/v1/turbines/*/answers`],
  });
  deps = appDeps({
    store: storeOnFake(createFakeTimestream({ now: () => NOW })),
    registry: new MemoryRegistry(() => NOW),
    keySecret: async () => TEST_SECRET,
    clock: fixedClock(NOW),
  });
});
afterAll(async () => {
  await iot.close();
});

function ruleEvent(turbineId: string, body: unknown) {
  return {
    payload: Buffer.from(JSON.stringify(body)).toString("base64"),
    topic: `gust/v1/turbines/${turbineId}/readings`,
    turbine_id: turbineId,
    client_id: turbineId,
  };
}

describe("the answer to a thing's publish on AWS IoT Core", () => {
  it("is published on the thing's answers topic at QoS 1, as gust's own broker answers", async () => {
    const before = iot.published.length;
    const answer = await answerIotRule(
      ruleEvent("iot-a1", reading("iot-a1", 3, {}, NOW)),
      deps,
      publisher(),
    );
    expect(answer.status).toBe(200);
    const [message] = iot.published.slice(before);
    expect(message).toMatchObject({
      topic: "gust/v1/turbines/iot-a1/answers",
      qos: 1,
      contentType: "application/json",
      userProperties: [{ status: "200" }],
    });
    expect(JSON.parse(message?.payload.toString() ?? "")).toEqual(answer.body);
    expect(answer.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  });

  it("publishes a refused payload's problem with its status", async () => {
    const before = iot.published.length;
    await answerIotRule(
      ruleEvent("iot-a2", reading("iot-a2", 1, { power_kw: "a lot" }, NOW)),
      deps,
      publisher(),
    );
    const [message] = iot.published.slice(before);
    expect(message).toMatchObject({
      topic: "gust/v1/turbines/iot-a2/answers",
      contentType: "application/problem+json",
      userProperties: [{ status: "422" }],
    });
    expect(JSON.parse(message?.payload.toString() ?? "")).toMatchObject({ status: 422 });
  });

  it("stores the readings even when IoT Core refuses the answer, and says so in the log", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const before = iot.published.length;
      iot.throttleNext(1);
      const answer = await answerIotRule(
        ruleEvent("iot-a3", reading("iot-a3", 1, {}, NOW)),
        deps,
        publisher(),
      );
      expect(answer).toMatchObject({ status: 200, acknowledge: true });
      expect(iot.published.length).toBe(before);
      expect(String(errors.mock.calls[0]?.[0])).toMatch(
        /answer to gust\/v1\/turbines\/iot-a3\/readings was not published.*ThrottlingException.*stored/,
      );
    } finally {
      errors.mockRestore();
    }
  });

  it("is refused by the fake outside the role's scope, as IAM refuses it", async () => {
    const narrow = await startFakeIotData({
      region: REGION,
      account: ACCOUNT,
      allowPublish: [`arn:aws:iot:${REGION}:${ACCOUNT}:topic/gust/v1/turbines/other/answers`],
    });
    const publish = publisher(narrow);
    await expect(
      publish?.({
        topic: "gust/v1/turbines/iot-a4/answers",
        payload: Buffer.from("{}"),
        properties: { contentType: "application/json", userProperties: { status: "200" } },
      }),
    ).rejects.toMatchObject({ name: "ForbiddenException" });
    await narrow.close();
  });
});

describe("an answer over IoT Core's 128 KB", () => {
  it("keeps the first rejections that fit and says how many it left out", () => {
    const rejected = Array.from({ length: 1000 }, (_, index) => ({
      index,
      reason: "too_old",
      detail: `Reading ${index} is older than the write window of 168 hours; ${"x".repeat(150)}`,
    }));
    const payload = Buffer.from(JSON.stringify({ accepted: 0, duplicates: 0, rejected }));
    expect(payload.byteLength).toBeGreaterThan(IOT_MAX_PAYLOAD_BYTES);
    const fitted = fitToIot(payload);
    expect(fitted.byteLength).toBeLessThanOrEqual(IOT_MAX_PAYLOAD_BYTES);
    const body = JSON.parse(fitted.toString());
    expect(body.rejected.length + body.omitted).toBe(1000);
    expect(body.rejected[0]).toEqual(rejected[0]);
    // One more entry would not have fitted.
    expect(
      Buffer.byteLength(
        JSON.stringify({
          ...body,
          rejected: rejected.slice(0, body.rejected.length + 1),
          omitted: body.omitted - 1,
        }),
      ),
    ).toBeGreaterThan(IOT_MAX_PAYLOAD_BYTES);
    const small = Buffer.from('{"accepted":1,"duplicates":0,"rejected":[]}');
    expect(fitToIot(small)).toBe(small);
  });
});
