// gust as a subscriber of Debian's Mosquitto, which authenticates the devices and enforces its
// own ACL; devices are the `mqtt` client over MQTT 5 with response topics. gust acknowledges to
// the broker only once stored, and a gust restart loses nothing the broker holds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answersTopic, readingsTopic } from "../../api/mqtt/topics.ts";
import { runSimulation } from "../../simulator/run.ts";
import { reading, startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";
import { fixedClock } from "../support/manual-clock.ts";
import { type MosquittoServer, startMosquitto } from "../support/mosquitto.ts";
import { connectDevice, type Device } from "./device.ts";

const NOW = Date.parse("2026-03-02T12:00:00Z");
const ACL = `user gateway
topic write gust/v1/turbines/+/readings
topic read gust/v1/turbines/+/answers

user gust
topic read gust/v1/turbines/+/readings
topic read gust/v1/turbines/+/readings/gzip
topic write #

pattern write gust/v1/turbines/%u/readings
pattern write gust/v1/turbines/%u/readings/gzip
pattern read gust/v1/turbines/%u/answers
pattern read replies/%c/#
`;
const dataDir = mkdtempSync(join(tmpdir(), "gust-mosquitto-test-"));
let mosquitto: MosquittoServer;
let server: TestServer;

const startGust = () =>
  startTestServer({
    dataDir,
    clock: fixedClock(NOW),
    mqttBroker: {
      url: mosquitto.url,
      username: "gust",
      password: "gust-password",
      clientId: "gust-test",
    },
  });

beforeAll(async () => {
  mosquitto = await startMosquitto({
    users: {
      gust: "gust-password",
      gateway: "gateway-password",
      "mq-a": "a-password",
      "mq-b": "b-password",
    },
    acl: ACL,
  });
  server = await startGust();
});
afterAll(async () => {
  await server.stop();
  await mosquitto.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function turbineA(clientId: string, url = mosquitto.url): Promise<Device> {
  return connectDevice(url, {
    protocolVersion: 5,
    clientId,
    username: "mq-a",
    password: "a-password",
  });
}

/** Publishes with an MQTT 5 response topic and correlation data; resolves to the answer. */
async function ask(device: Device, clientId: string, payload: unknown, raw?: Buffer) {
  const correlationData = Buffer.from(`${Math.random()}`);
  const responseTopic = `replies/${clientId}/answers`;
  const answered = new Promise<{ body: any; properties: any }>((resolve) => {
    const onMessage = (_topic: string, message: Buffer, packet: any) => {
      if (!packet.properties?.correlationData?.equals(correlationData)) return;
      device.client.off("message", onMessage);
      resolve({ body: JSON.parse(message.toString()), properties: packet.properties });
    };
    device.client.on("message", onMessage);
  });
  await device.client.publishAsync(readingsTopic("mq-a"), raw ?? JSON.stringify(payload), {
    qos: 1,
    properties: { responseTopic, correlationData },
  });
  return answered;
}

describe("with Mosquitto", () => {
  it("stores, answers on the response topic, and keeps HTTP's duplicate and conflict rules", async () => {
    const device = await turbineA("mq-a-1");
    expect(await device.subscribe("replies/mq-a-1/#")).toBe(1);
    const sent = reading("mq-a", 5, {}, NOW);
    const first = await ask(device, "mq-a-1", sent);
    expect(first.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(first.properties.userProperties).toEqual({ status: "200" });
    expect((await ask(device, "mq-a-1", sent)).body).toMatchObject({ duplicates: 1 });
    const conflict = await ask(device, "mq-a-1", { ...sent, power_kw: 1 });
    expect(conflict.body.rejected).toEqual([expect.objectContaining({ reason: "conflict" })]);
    const bad = await ask(device, "mq-a-1", null, Buffer.from("{not json"));
    expect(bad.body).toMatchObject({ status: 400, type: "urn:gust:problem:malformed-json" });
    expect(bad.properties.contentType).toBe("application/problem+json");
    const big = await ask(device, "mq-a-1", null, Buffer.alloc(1024 * 1024 + 1, 32));
    expect(big.body).toMatchObject({ status: 413 });
    const other = await ask(device, "mq-a-1", reading("mq-b", 1, {}, NOW));
    expect(other.body).toMatchObject({ status: 403 });
    expect(await server.stored("mq-a")).toHaveLength(1);
    expect(await server.stored("mq-b")).toHaveLength(0);
    await device.end();
  });

  it("is refused by Mosquitto's ACL on another turbine's topic", async () => {
    const device = await turbineA("mq-a-2");
    await expect(
      device.client.publishAsync(
        readingsTopic("mq-b"),
        JSON.stringify(reading("mq-b", 2, {}, NOW)),
        {
          qos: 1,
        },
      ),
    ).rejects.toThrow(/not authori[sz]ed/i);
    await device.end();
  });

  it("loses nothing the broker holds while gust restarts", async () => {
    const device = await turbineA("mq-a-3");
    expect(await device.subscribe(answersTopic("mq-a"))).toBe(1);
    await server.stop();
    // Acknowledged by Mosquitto while gust is away: the broker holds them for gust's session.
    const readings = [3, 2, 1].map((minutes) => reading("mq-a", 60 + minutes, {}, NOW));
    for (const sent of readings) await device.publish(readingsTopic("mq-a"), sent);
    server = await startGust();
    for (let k = 0; k < readings.length; k++) {
      expect(await device.next(answersTopic("mq-a"))).toMatchObject({ accepted: 1 });
    }
    expect(await server.stored("mq-a")).toHaveLength(4);
    await device.end();
  });
});

describe("with Mosquitto's WebSockets listener and the simulator", () => {
  it("takes a device over WebSockets, with the same ACL and answers", async () => {
    const device = await turbineA("mq-a-ws", mosquitto.wsUrl);
    expect(await device.subscribe("replies/mq-a-ws/#")).toBe(1);
    const answer = await ask(device, "mq-a-ws", reading("mq-a", 9, {}, NOW));
    expect(answer.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    await device.end();
  });

  it("runs npm run simulate -- --transport mqtt through Mosquitto, every reading verified", async () => {
    const to = NOW - 60 * 60_000;
    const report = await runSimulation({
      target: server.url,
      transport: "mqtt",
      mqttUrl: mosquitto.url,
      mqttUsername: "gateway",
      mqttPassword: "gateway-password",
      mode: "replay",
      turbines: 2,
      from: to - 20 * 60_000,
      to,
      stepMs: 60_000,
      batch: 10,
      keySecret: TEST_SECRET,
      verify: true,
      clock: fixedClock(NOW),
      out: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    expect(report.readings).toMatchObject({ sent: 40, accepted: 40, failed: 0, rejected: {} });
    expect(report.verification).toMatchObject({ ok: true, checked: 40, turbines: 2 });
  });
});
