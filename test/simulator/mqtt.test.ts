// The real simulator over MQTT (--transport mqtt) against gust's own broker: every PUBACKed
// reading is stored exactly once (--verify reads them back), a re-send over WebSockets with the
// operator key is all duplicates, rejections come from the answers, and a refused key fails
// its readings instead of waiting.
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSimulation, type SimulationOptions } from "../../simulator/run.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ mqttPort: 0, mqttWsPort: 0 });
});
afterAll(async () => {
  await server.stop();
});

const quiet = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

const HOUR = 3_600_000;
const to = Math.floor(Date.now() / 60_000) * 60_000 - HOUR;
const base = (): SimulationOptions => ({
  target: server.url,
  transport: "mqtt",
  mqttUrl: server.mqtt?.url as string,
  mode: "replay",
  turbines: 6,
  from: to - HOUR,
  to,
  stepMs: 60_000,
  batch: 20,
  keySecret: TEST_SECRET,
  verify: true,
  out: quiet(),
});

describe("npm run simulate -- --transport mqtt", () => {
  it("stores every PUBACKed reading once, and a re-send over WebSockets is all duplicates", async () => {
    const first = await runSimulation(base());
    expect(first.transport).toBe("mqtt");
    expect(first.readings).toMatchObject({
      planned: 360,
      sent: 360,
      accepted: 360,
      duplicates: 0,
      failed: 0,
      rejected: {},
    });
    // 6 turbines, an hour in batches of 20 minutes: 18 publishes.
    expect(first.requests).toBe(18);
    expect(first.verification).toMatchObject({ ok: true, checked: 360, turbines: 6 });

    const again = await runSimulation({
      ...base(),
      mqttUrl: server.mqtt?.wsUrl as string,
      operator: true,
      concurrency: 3,
    });
    expect(again.readings).toMatchObject({ sent: 360, accepted: 0, duplicates: 360, failed: 0 });
    expect(again.verification).toMatchObject({ ok: true, checked: 360 });
    const stored = await server.store.select("SELECT count(*) AS n FROM readings");
    expect(stored[0]).toEqual({ n: 360 });
  });

  it("counts the rejections the answers carry and verifies only what was stored", async () => {
    const old = Date.now() - 30 * 24 * HOUR;
    const report = await runSimulation({
      ...base(),
      turbines: 2,
      from: old - 10 * 60_000,
      to: old,
      batch: 5,
    });
    expect(report.readings).toMatchObject({ sent: 20, accepted: 0, rejected: { too_old: 20 } });
    expect(report.rejectionDetails.too_old).toBeTruthy();
    expect(report.verification).toMatchObject({ ok: true, checked: 0 });
  });

  it("fails the readings of a key the broker refuses, without waiting for a PUBACK", async () => {
    const report = await runSimulation({
      ...base(),
      turbines: 1,
      key: "gust.t.not-a-key",
      verify: false,
    });
    expect(report.readings).toMatchObject({ sent: 60, accepted: 0, failed: 60 });
    expect(report.failures[0]).toMatch(/HTTP 401: .*refused the key/);
  });
});
