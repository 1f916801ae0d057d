// ALARM_WEBHOOK_URL against a real local receiver: each open and close arrives as signed JSON,
// failures are retried with backoff under the same delivery id, and a receiver that is down
// (even across a gust restart) gets every event, in order, once it is back.
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { reading, startTestServer, type TestServer } from "../api/fixture.ts";
import { ManualClock } from "../support/manual-clock.ts";

const SECRET = "webhook-secret-0123456789";
const dataDir = mkdtempSync(join(tmpdir(), "gust-webhook-"));
let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Delivery {
  headers: IncomingMessage["headers"];
  body: string;
  answered: number;
}

/** A receiver that answers `failFirst` requests with 503, then 200; it records every request. */
function receiver(port: number, failFirst = 0) {
  const deliveries: Delivery[] = [];
  const http: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      const answered = deliveries.length < failFirst ? 503 : 200;
      deliveries.push({ headers: request.headers, body, answered });
      response.writeHead(answered).end();
    });
  });
  const listening = new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  return {
    deliveries,
    listening,
    port: () => (http.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

// The servers' clock: the webhook's backoff waits on it, and the test moves it.
const clock = new ManualClock(Date.now());

/** Moves the clock from timer to timer until `condition` holds (deliveries go over loopback). */
function until(condition: () => boolean, what: string) {
  return clock.runUntil(condition, { what });
}

function start(port: number) {
  return startTestServer({
    dataDir,
    clock,
    env: {
      // The clock runs ahead while deliveries wait on loopback: no turbine may fall silent here.
      ALARM_SILENT_INTERVALS: "1000000",
      ALARM_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/gust`,
      ALARM_WEBHOOK_SECRET: SECRET,
      ALARM_WEBHOOK_BACKOFF_MS: "50",
    },
  });
}

async function faultThenProducing(s: TestServer, turbineId: string) {
  const now = clock.now();
  await s.post(reading(turbineId, 2, { status: "fault", power_kw: 0 }, now));
  s.live.hub.flush();
  await s.live.engine.settled();
  await s.post(reading(turbineId, 1, { status: "producing" }, now));
  s.live.hub.flush();
  await s.live.engine.settled();
}

function verify(delivery: Delivery): void {
  const timestamp = String(delivery.headers["x-gust-timestamp"]);
  const expected = createHmac("sha256", SECRET)
    .update(`${timestamp}.${delivery.body}`)
    .digest("hex");
  expect(delivery.headers["x-gust-signature"]).toBe(`sha256=${expected}`);
  expect(delivery.headers["content-type"]).toBe("application/json");
}

it("signs each open and close, and retries a failing receiver with the same delivery id", async () => {
  const hook = receiver(0, 2);
  await hook.listening;
  server = await start(hook.port());
  await faultThenProducing(server, "w-1");
  await until(() => hook.deliveries.filter((d) => d.answered === 200).length === 2, "2 deliveries");
  for (const delivery of hook.deliveries) verify(delivery);
  // The first event failed twice (503) and came again under the same id; then the second.
  expect(hook.deliveries.map((d) => [d.headers["x-gust-delivery"], d.answered])).toEqual([
    ["1", 503],
    ["1", 503],
    ["1", 200],
    ["2", 200],
  ]);
  const [opened, closed] = hook.deliveries
    .filter((d) => d.answered === 200)
    .map((d) => JSON.parse(d.body));
  expect(opened).toMatchObject({
    type: "alarm.opened",
    seq: 1,
    kind: "opened",
    alarm: { turbine_id: "w-1", rule: "fault", closed_at: null, reading: { status: "fault" } },
  });
  expect(closed).toMatchObject({ type: "alarm.closed", seq: 2, alarm: { id: opened.alarm.id } });
  expect(closed.alarm.closed_at).not.toBeNull();
  // A tampered body does not verify.
  const forged = {
    ...hook.deliveries[3],
    body: hook.deliveries[3]?.body.replace("w-1", "w-9"),
  } as Delivery;
  expect(() => verify(forged)).toThrow();
  await hook.close();
});

it("loses nothing while the receiver is down, even across a restart of gust", async () => {
  // A port nobody listens on (yet).
  const probe = receiver(0);
  await probe.listening;
  const port = probe.port();
  await probe.close();
  await server?.stop();
  server = await start(port);
  await faultThenProducing(server, "w-2");
  const live = server;
  await until(() => (live.live.notifier?.attempts ?? 0) >= 3, "retries against a closed port");
  await server.stop();
  server = await start(port);
  await faultThenProducing(server, "w-3");
  const hook = receiver(port);
  await hook.listening;
  await until(() => hook.deliveries.length >= 4, "the outbox to drain");
  for (const delivery of hook.deliveries) verify(delivery);
  expect(
    hook.deliveries.map((d) => {
      const body = JSON.parse(d.body);
      return [body.seq, body.kind, body.alarm.turbine_id];
    }),
  ).toEqual([
    [3, "opened", "w-2"],
    [4, "closed", "w-2"],
    [5, "opened", "w-3"],
    [6, "closed", "w-3"],
  ]);
  await hook.close();
});
