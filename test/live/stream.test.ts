// The live view against a real local server (real DuckDB file, loopback HTTP): the snapshot,
// the SSE stream and its auth, resume after a reconnect, silence (bounds: limits.test.ts).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { LiveHub } from "../../api/live/hub.ts";
import { TurbinePlaces } from "../../api/live/places.ts";
import { mintLiveToken } from "../../api/live/token.ts";
import { reading, startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";
import { call } from "../registry/client.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { openSse, storedReading } from "./support.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

async function token(key = server.readerKey): Promise<string> {
  const answer = await fetch(`${server.url}/v1/live/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
  });
  expect(answer.status).toBe(201);
  return ((await answer.json()) as { token: string }).token;
}

// Turbines are described once in the registry (readings carry no tags).
async function register(
  on: TestServer,
  turbineId: string,
  province: string,
  project: string,
): Promise<void> {
  const answer = await call(on, "PUT", `/v1/turbines/${turbineId}`, {
    body: {
      project,
      model: "Vestas V112",
      rated_kw: 3300,
      latitude: 52.5,
      longitude: 5.5,
      tags: { province },
    },
  });
  expect(answer.status).toBeLessThan(300);
}

describe("snapshot", () => {
  it("sums the fleet's last readings now, per province and project", async () => {
    // A server of its own whose live view starts with these turbines in the registry, on a clock
    // the test moves.
    const clock = new ManualClock(Date.now());
    const now = clock.now();
    const dataDir = mkdtempSync(join(tmpdir(), "gust-live-snap-"));
    const first = await startTestServer({ dataDir, clock });
    await register(first, "snap-1", "Flevoland", "A");
    await register(first, "snap-2", "Groningen", "B");
    await first.stop();
    const server = await startTestServer({ dataDir, clock });
    onTestFinished(async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const answer = await server.post({
      readings: [
        reading("snap-1", 2, { power_kw: 1000 }, now),
        reading("snap-1", 1, { power_kw: 1200 }, now),
        reading("snap-2", 1, { power_kw: 800 }, now),
      ],
    });
    expect(answer.body.accepted).toBe(3);
    server.live.hub.flush();
    // The live view reads the registry again soon after it sees a turbine it did not know.
    let snapshot = await server.get("/v1/live/snapshot");
    for (let i = 0; i < 50; i++) {
      const known = snapshot.body.turbines.filter((t: any) => t.turbine_id.startsWith("snap-"));
      if (known.length === 2 && known.every((t: any) => t.province !== null)) break;
      await clock.advance(100);
      server.live.hub.flush();
      snapshot = await server.get("/v1/live/snapshot");
    }
    const { status, body } = snapshot;
    expect(status).toBe(200);
    const mine = body.turbines.filter((t: any) => t.turbine_id.startsWith("snap-"));
    expect(mine.map((t: any) => [t.turbine_id, t.power_kw, t.province, t.silent])).toEqual([
      ["snap-1", 1200, "Flevoland", false],
      ["snap-2", 800, "Groningen", false],
    ]);
    expect(body.fleet.power_kw).toBe(
      body.turbines.reduce((sum: number, t: any) => sum + (t.silent ? 0 : t.power_kw), 0),
    );
    expect(body.fleet.readings_total).toBeGreaterThanOrEqual(3);
    const flevoland = body.provinces.find((p: any) => p.province === "Flevoland");
    expect(flevoland.power_kw).toBeGreaterThanOrEqual(1200);
    expect(body.projects.find((p: any) => p.project === "B")).toMatchObject({ power_kw: 800 });
    // The history has the minutes of those readings, by their own time.
    expect(body.history.points.length).toBeGreaterThanOrEqual(1);
    expect(body.history.bucket_seconds).toBe(60);
  });

  it("takes a live token or a reader key, refuses turbine keys and bad tokens", async () => {
    expect((await server.get("/v1/live/snapshot", server.turbineKey("snap-1"))).status).toBe(403);
    const live = await token();
    expect((await fetch(`${server.url}/v1/live/snapshot?token=${live}`)).status).toBe(200);
    const forged = `${live.slice(0, -2)}xx`;
    const refused = await fetch(`${server.url}/v1/live/snapshot?token=${forged}`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    const expired = mintLiveToken(TEST_SECRET, Date.now() - 3_600_000).token;
    const late = await fetch(`${server.url}/v1/live?token=${expired}`);
    expect(late.status).toBe(401);
    expect(((await late.json()) as { detail: string }).detail).toContain("expired");
    const turbineToken = await fetch(`${server.url}/v1/live/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.turbineKey("snap-1")}` },
    });
    expect(turbineToken.status).toBe(403);
    expect((await fetch(`${server.url}/v1/live`)).status).toBe(401);
  });
});

describe("stream", () => {
  it("sends a snapshot, then batched updates as readings are stored", async () => {
    // As a client follows the token's stream_url: resolved against the URL it was answered from.
    const tokenUrl = `${server.url}/v1/live/tokens`;
    const minted = await fetch(tokenUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${server.readerKey}` },
    }).then((r) => r.json() as Promise<{ stream_url: string }>);
    const client = await openSse(new URL(minted.stream_url, tokenUrl).href);
    try {
      expect(client.status).toBe(200);
      expect(client.contentType).toContain("text/event-stream");
      const first = await client.next(() => true);
      expect(first.event).toBe("snapshot");
      const now = Date.now();
      // Ten answers in quick succession: fewer updates than answers (batched).
      for (let i = 0; i < 10; i++) {
        await server.post(
          reading("stream-1", 0, { time: now - 10_000 + i * 1000, power_kw: 100 + i }),
        );
      }
      const update = await client.next(
        (e) =>
          e.event === "update" &&
          e.data.turbines.some((t: any) => t.turbine_id === "stream-1" && t.power_kw === 109),
      );
      expect(update.data.fleet.readings_total).toBeGreaterThanOrEqual(10);
      const updates = client.events.filter((e) => e.event === "update");
      expect(updates.length).toBeLessThan(10);
    } finally {
      client.close();
    }
  });
});

describe("silence", () => {
  it("goes out as an update when a turbine falls silent, without a new reading", () => {
    const clock = new ManualClock(1_800_000_000_000);
    const now = clock.now();
    const hub = new LiveHub({
      places: new TurbinePlaces(),
      clock,
      silentAfterIntervals: 3,
    });
    hub.accept(
      [0, 1, 2].map((i) =>
        storedReading({ turbine_id: "q-1", time: now - 1000 + i * 500, power_kw: 700 }),
      ),
    );
    hub.flush();
    const sent: any[] = [];
    hub.subscribe((event) => {
      if (event.type === "update") sent.push(JSON.parse(event.json()));
    });
    hub.checkSilence();
    expect(sent).toEqual([]); // nothing changed
    clock.set(now + 1000);
    hub.checkSilence();
    expect(sent).toEqual([]); // 2 of its 500 ms intervals: not yet
    clock.set(now + 2000);
    hub.checkSilence();
    expect(sent).toHaveLength(1);
    expect(sent[0].turbines).toMatchObject([{ turbine_id: "q-1", silent: true }]);
    expect(sent[0].fleet).toMatchObject({ power_kw: 0, turbines_reporting: 0, turbines: 1 });
    hub.checkSilence();
    expect(sent).toHaveLength(1); // told once
  });
});
