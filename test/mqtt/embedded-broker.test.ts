// gust's own broker (aedes in the API's process) with the `mqtt` client as the device: the HTTP
// contract over MQTT (over TCP and over WebSockets), PUBACK only once stored, gust's keys checked
// per topic.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { turbineKey } from "../../api/auth/keys.ts";
import { answersTopic, readingsTopic } from "../../api/mqtt/topics.ts";
import { reading, startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";
import { fixedClock } from "../support/manual-clock.ts";
import { connectDevice, type Device } from "./device.ts";

const NOW = Date.parse("2026-03-02T12:00:00Z");
let server: TestServer;
const clock = fixedClock(NOW);
let url: string;

beforeAll(async () => {
  server = await startTestServer({ clock, mqttPort: 0, mqttWsPort: 0 });
  url = server.mqtt?.url as string;
});
afterAll(async () => {
  await server.stop();
});

/** A device with a turbine's key, subscribed to that turbine's answers. */
async function turbine(id: string, key = server.turbineKey(id)): Promise<Device> {
  const device = await connectDevice(url, { username: id, password: key });
  expect(await device.subscribe(answersTopic(id))).toBe(1);
  return device;
}

describe("the HTTP contract over MQTT", () => {
  it("stores a reading on PUBACK and answers as HTTP does; a resend is a duplicate", async () => {
    const device = await turbine("mq-1");
    const sent = reading("mq-1", 5, {}, NOW);
    await device.publish(readingsTopic("mq-1"), sent);
    // Stored by the time the PUBACK arrives.
    expect(await server.stored("mq-1")).toHaveLength(1);
    expect(await device.next(answersTopic("mq-1"))).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
    });
    await device.publish(readingsTopic("mq-1"), sent);
    expect(await device.next(answersTopic("mq-1"))).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await server.stored("mq-1")).toHaveLength(1);
    await device.end();
  });

  it("answers a conflict with a pointer, and a higher version replaces the reading", async () => {
    const device = await turbine("mq-2");
    const batch = { readings: [reading("mq-2", 3, {}, NOW), reading("mq-2", 2, {}, NOW)] };
    await device.publish(readingsTopic("mq-2"), batch);
    expect(await device.next(answersTopic("mq-2"))).toMatchObject({ accepted: 2 });
    const changed = reading("mq-2", 2, { power_kw: 99 }, NOW);
    await device.publish(readingsTopic("mq-2"), {
      readings: [reading("mq-2", 3, {}, NOW), changed],
    });
    expect(await device.next(answersTopic("mq-2"))).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: [
        { index: 1, reason: "conflict", detail: expect.stringContaining("higher version") },
      ],
    });
    await device.publish(readingsTopic("mq-2"), { ...changed, version: 2 });
    expect(await device.next(answersTopic("mq-2"))).toMatchObject({ accepted: 1 });
    expect((await server.stored("mq-2")).map((r) => r.power_kw)).toEqual([1503, 99]);
    await device.end();
  });

  it("takes gzip on the /gzip topic", async () => {
    const device = await turbine("mq-3");
    const raw = gzipSync(JSON.stringify(reading("mq-3", 1, {}, NOW)));
    await device.publish(readingsTopic("mq-3", true), null, { raw });
    expect(await device.next(answersTopic("mq-3"))).toMatchObject({ accepted: 1 });
    expect(await server.stored("mq-3")).toHaveLength(1);
    await device.end();
  });

  it("acknowledges bad JSON, a bad reading and an oversized payload with HTTP's problem", async () => {
    const device = await turbine("mq-4");
    await device.publish(readingsTopic("mq-4"), null, {
      raw: Buffer.from('{"turbine_id": "mq-4",'),
    });
    expect(await device.next(answersTopic("mq-4"))).toMatchObject({
      status: 400,
      type: "urn:gust:problem:malformed-json",
    });
    await device.publish(readingsTopic("mq-4"), reading("mq-4", 1, { power_kw: "a lot" }, NOW));
    expect(await device.next(answersTopic("mq-4"))).toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ pointer: "/power_kw" })],
    });
    await device.publish(readingsTopic("mq-4"), null, { raw: Buffer.alloc(1024 * 1024 + 1, 32) });
    expect(await device.next(answersTopic("mq-4"))).toMatchObject({
      status: 413,
      type: "urn:gust:problem:payload-too-large",
    });
    // A payload far over the limit is dropped as it arrives (api/mqtt/publish-bound.ts) and
    // answered with the size it had; the connection goes on.
    await device.publish(readingsTopic("mq-4"), null, { raw: Buffer.alloc(24 * 1024 * 1024, 32) });
    expect(await device.next(answersTopic("mq-4"))).toMatchObject({
      status: 413,
      detail: expect.stringContaining("25165824 bytes"),
    });
    await device.publish(readingsTopic("mq-4"), reading("mq-4", 2, {}, NOW));
    expect(await device.next(answersTopic("mq-4"))).toMatchObject({ accepted: 1 });
    expect(await server.stored("mq-4")).toHaveLength(1);
    await device.end();
  });

  it("refuses readings of another turbine on a turbine's topic, as HTTP refuses its key", async () => {
    const device = await turbine("mq-5");
    await device.publish(readingsTopic("mq-5"), reading("mq-6", 1, {}, NOW));
    expect(await device.next(answersTopic("mq-5"))).toMatchObject({ status: 403 });
    expect(await server.stored("mq-6")).toHaveLength(0);
    await device.end();
  });
});

describe("who may publish where", () => {
  it("closes the connection of a turbine key publishing on another turbine's topic", async () => {
    const device = await connectDevice(url, { password: server.turbineKey("mq-7") });
    device.client.publish(readingsTopic("mq-8"), JSON.stringify(reading("mq-8", 1, {}, NOW)), {
      qos: 1,
    });
    await device.closed();
    expect(await server.stored("mq-8")).toHaveLength(0);
  });

  it("lets the operator key publish for any turbine and refuses the reader key", async () => {
    const gateway = await connectDevice(url, { password: server.operatorKey });
    expect(await gateway.subscribe("gust/v1/turbines/+/answers")).toBe(1);
    await gateway.publish(readingsTopic("mq-9"), reading("mq-9", 1, {}, NOW));
    expect(await gateway.next(answersTopic("mq-9"))).toMatchObject({ accepted: 1 });
    await gateway.end();

    const reader = await connectDevice(url, { password: server.readerKey });
    expect(await reader.subscribe(answersTopic("mq-9"))).toBe(128);
    expect(await reader.subscribe("gust/v1/live/readings/+")).toBe(1);
    reader.client.publish(readingsTopic("mq-10"), JSON.stringify(reading("mq-10", 1, {}, NOW)), {
      qos: 1,
    });
    await reader.closed();
    expect(await server.stored("mq-10")).toHaveLength(0);
  });

  it("refuses a wrong key at CONNECT and a turbine key's subscriptions beyond its turbine", async () => {
    await expect(
      connectDevice(url, { password: turbineKey("another-secret", "mq-11") }),
    ).rejects.toThrow(/Bad username or password/i);
    const device = await turbine("mq-11");
    expect(await device.subscribe(answersTopic("mq-12"))).toBe(128);
    expect(await device.subscribe("gust/v1/live/readings/+")).toBe(128);
    expect(await device.subscribe("gust/v1/turbines/+/readings")).toBe(128);
    expect(await device.subscribe("gust/v1/live/readings/mq-11")).toBe(1);
    await device.end();
  });

  it("stops a rotated key at its next publish", async () => {
    await server.registry.put("mq-13", {
      name: null,
      project: "MQTT Park",
      model: null,
      rated_kw: 3000,
      hub_height_m: null,
      rotor_diameter_m: null,
      latitude: null,
      longitude: null,
      commissioned: null,
      tags: {},
    });
    const device = await turbine("mq-13");
    await device.publish(readingsTopic("mq-13"), reading("mq-13", 2, {}, NOW));
    await server.registry.rotateKey("mq-13");
    device.client.publish(readingsTopic("mq-13"), JSON.stringify(reading("mq-13", 1, {}, NOW)), {
      qos: 1,
    });
    await device.closed();
    expect(await server.stored("mq-13")).toHaveLength(1);
    await expect(connectDevice(url, { password: server.turbineKey("mq-13") })).rejects.toThrow(
      /Bad username or password/i,
    );
    const rotated = await connectDevice(url, { password: turbineKey(TEST_SECRET, "mq-13", 2) });
    await rotated.publish(readingsTopic("mq-13"), reading("mq-13", 1, {}, NOW));
    expect(await server.stored("mq-13")).toHaveLength(2);
    await rotated.end();
  });
});

describe("live over MQTT", () => {
  it("publishes stored readings on the read-only live topics", async () => {
    const reader = await connectDevice(url, { password: server.readerKey });
    expect(await reader.subscribe("gust/v1/live/readings/+")).toBe(1);
    const device = await turbine("mq-live");
    await device.publish(readingsTopic("mq-live"), reading("mq-live", 1, {}, NOW));
    // The live hub applies what was stored on its next batch (a quarter second of its clock).
    const live = reader.next("gust/v1/live/readings/mq-live");
    await clock.advance(1000);
    expect(await live).toEqual({
      readings: [
        expect.objectContaining({
          turbine_id: "mq-live",
          time: new Date(NOW - 60_000).toISOString(),
          power_kw: 1501,
        }),
      ],
    });
    await device.end();
    await reader.end();
  });
});

describe("MQTT over WebSockets", () => {
  it("takes the same publishes, keys and live topics as over TCP", async () => {
    const wsUrl = server.mqtt?.wsUrl as string;
    expect(wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const reader = await connectDevice(wsUrl, { password: server.readerKey });
    expect(await reader.subscribe("gust/v1/live/readings/+")).toBe(1);
    const device = await connectDevice(`${wsUrl}/mqtt`, {
      username: "mq-ws",
      password: server.turbineKey("mq-ws"),
    });
    expect(await device.subscribe(answersTopic("mq-ws"))).toBe(1);
    expect(await device.subscribe(answersTopic("mq-1"))).toBe(128);
    await device.publish(readingsTopic("mq-ws"), reading("mq-ws", 1, {}, NOW));
    expect(await server.stored("mq-ws")).toHaveLength(1);
    expect(await device.next(answersTopic("mq-ws"))).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
    });
    const live = reader.next("gust/v1/live/readings/mq-ws");
    await clock.advance(1000);
    expect(await live).toMatchObject({
      readings: [expect.objectContaining({ turbine_id: "mq-ws" })],
    });
    await device.end();
    await reader.end();
  });

  it("closes a connection whose WebSocket message is over the limit; nothing is stored", async () => {
    const wsUrl = server.mqtt?.wsUrl as string;
    const device = await connectDevice(wsUrl, {
      username: "mq-ws-big",
      password: server.turbineKey("mq-ws-big"),
    });
    const big = JSON.stringify({
      readings: [reading("mq-ws-big", 1, {}, NOW)],
      pad: "x".repeat(2 ** 21),
    });
    device.publish(readingsTopic("mq-ws-big"), null, { raw: Buffer.from(big) }).catch(() => {});
    await device.closed();
    expect(await server.stored("mq-ws-big")).toHaveLength(0);
    await device.end();
  });

  it("answers a plain HTTP request on the WebSocket port with 426", async () => {
    const wsUrl = server.mqtt?.wsUrl as string;
    const response = await fetch(wsUrl.replace("ws:", "http:"));
    expect(response.status).toBe(426);
    await response.body?.cancel();
  });
});
