// Query strings take the CLIs' time words (now, now-6h, 6h, RFC 3339, epoch ms), resolved on the
// app's injected clock: here a fixed one, so a word resolved on the machine's clock would find
// nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../support/manual-clock.ts";
import { reading, startTestServer, type TestServer } from "./fixture.ts";

const clock = fixedClock("2026-11-23T12:00:00Z");
const now = clock.now;

let server: TestServer;
let recent: string;
let older: string;

beforeAll(async () => {
  server = await startTestServer({ clock });
  const latest = reading("tw-1", 30, {}, now());
  const earlier = reading("tw-1", 180, {}, now());
  const readings = [latest, earlier];
  recent = new Date(latest.time as string).toISOString();
  older = new Date(earlier.time as string).toISOString();
  const answer = await server.post({ readings });
  expect(answer.body).toMatchObject({ accepted: 2 });
});
afterAll(async () => {
  await server?.stop();
});

const times = async (query: string) => {
  const answer = await server.get(`/v1/turbines/tw-1/measurements?${query}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.readings.map((r: { time: string }) => r.time);
};

describe("time words in query strings", () => {
  it("reads now-relative times and bare durations on the app's clock", async () => {
    expect(await times("from=now-1h")).toEqual([recent]);
    expect(await times("from=1h")).toEqual([recent]);
    expect(await times("from=now-4h&to=now-1h")).toEqual([older]);
    expect(await times("from=now-4h&to=now")).toEqual([older, recent]);
    expect(await times(`from=${encodeURIComponent(older)}&to=now-1h`)).toEqual([older]);
    expect(await times(`from=${Date.parse(recent)}`)).toEqual([recent]);
  });

  it("takes them on every route that takes times", async () => {
    const power = await server.get("/v1/power?from=now-6h&to=now&every=1h");
    expect(power.status).toBe(200);
    // `to=now` is the app's clock at the request, not the machine's.
    expect(power.body.to).toBe("2026-11-23T12:00:00.000Z");
    expect(power.body.bins.reduce((n: number, b: { turbines: number }) => n + b.turbines, 0)).toBe(
      2,
    );

    const exported = await server.get("/v1/readings/export?from=now-6h&to=now&format=csv");
    expect(exported.status).toBe(200);
    expect(String(exported.body).trim().split("\n")).toHaveLength(3);

    const alarms = await server.get("/v1/alarms?from=now-1h&to=now");
    expect(alarms.status).toBe(200);

    const availability = await server.get("/v1/analyses/availability?from=now-7d&format=csv");
    expect(availability.status).toBe(200);
  });

  it("answers a word it cannot read with a 422 naming the parameter and the forms", async () => {
    const answer = await server.get("/v1/power?from=now-6x");
    expect(answer.status).toBe(422);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    const error = answer.body.errors.find((e: { pointer: string }) => e.pointer.endsWith("from"));
    expect(error.detail).toMatch(/"now-6x" is not a time: use RFC 3339 with a zone .* now-6h/);
  });

  it("refuses a from that is not before to, both given as words", async () => {
    const answer = await server.get("/v1/power?from=now&to=now-1h");
    expect(answer.status).toBe(422);
    expect(answer.body.detail).toMatch(/`from` must be before `to`/);
  });
});
