// Alarms against a real local server: each rule opens and closes alarms from real ingest, they
// are listed by GET /v1/alarms, streamed as `alarm` events (resumable by Last-Event-ID), and
// survive a restart (DuckDB tables in the same file).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reading, startTestServer, type TestServer } from "../api/fixture.ts";
import { openSse } from "../live/support.ts";
import { call } from "../registry/client.ts";
import { ManualClock } from "../support/manual-clock.ts";

const dataDir = mkdtempSync(join(tmpdir(), "gust-alarms-"));
const env = {
  ALARM_SILENT_INTERVALS: "2",
  ALARM_REJECTIONS_PER_HOUR: "2",
  ALARM_UNDERPERFORMING_READINGS: "3",
};
// The server's clock: silence is judged on it, and the test moves it instead of waiting.
const clock = new ManualClock(Date.now());
let server: TestServer;
beforeAll(async () => {
  // Turbines are described in the registry (readings carry no tags); the live view loads it at
  // start, so register them first and start again.
  const first = await startTestServer({ dataDir, env, clock });
  for (const id of ["f-1", "m-1", "m-2", "old-1", "r-1", "s-1", "u-1"]) {
    const answer = await call(first, "PUT", `/v1/turbines/${id}`, {
      body: {
        project: "Test",
        model: "Vestas V112",
        rated_kw: 3300,
        tags: { province: "Flevoland" },
      },
    });
    expect(answer.status).toBeLessThan(300);
  }
  await first.stop();
  server = await startTestServer({ dataDir, env, clock });
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Applies what ingest handed the hub and waits until the alarm changes are stored. */
async function settle(): Promise<void> {
  server.live.hub.flush();
  server.live.engine.sweep();
  await server.live.engine.settled();
}

async function alarms(query = ""): Promise<any[]> {
  const answer = await server.get(`/v1/alarms${query}`);
  expect(answer.status).toBe(200);
  return answer.body.alarms;
}

describe("rules", () => {
  it("fault: opens on a fault reading, closes on the next that is not", async () => {
    const now = clock.now();
    await server.post({
      readings: [reading("f-1", 2, { status: "fault", power_kw: 0 }, now)],
    });
    await settle();
    const [open] = await alarms("?state=open&turbine_id=f-1");
    expect(open).toMatchObject({ turbine_id: "f-1", rule: "fault", closed_at: null });
    expect(open.detail).toContain("status fault since");
    expect(open.reading).toMatchObject({ turbine_id: "f-1", status: "fault", power_kw: 0 });
    await server.post(reading("f-1", 1, { status: "producing" }, now));
    await settle();
    expect(await alarms("?state=open&turbine_id=f-1")).toEqual([]);
    const [closed] = await alarms("?state=closed&turbine_id=f-1");
    expect(closed.id).toBe(open.id);
    expect(Date.parse(closed.closed_at)).toBeGreaterThanOrEqual(Date.parse(closed.opened_at));
  });

  it("underperforming: power far below the model's curve in three readings in a row", async () => {
    const now = clock.now();
    // A V112 makes about 2 MW at 9 m/s; 100 kW is 5%.
    const low = (minutesAgo: number) =>
      reading("u-1", minutesAgo, { power_kw: 100, wind_speed_ms: 9 }, now);
    await server.post({ readings: [low(3), low(2)] });
    await settle();
    expect(await alarms("?state=open&turbine_id=u-1")).toEqual([]);
    await server.post(low(1));
    await settle();
    const [open] = await alarms("?state=open&turbine_id=u-1");
    expect(open.rule).toBe("underperforming");
    expect(open.detail).toMatch(
      /100 kW at 9 m\/s: 5% of the \d+(\.\d)? kW its model \(Vestas V112\)/,
    );
    // At 20 m/s (above rated wind) the rule does not apply, and a good reading closes it.
    await server.post(reading("u-1", 0, { power_kw: 2000, wind_speed_ms: 9 }, now));
    await settle();
    expect(await alarms("?state=open&turbine_id=u-1")).toEqual([]);
  });

  it("rejections: more than K rejected readings of a turbine within an hour", async () => {
    const now = clock.now();
    const stale = (i: number) => reading("r-1", 60 * 24 * 30 + i, {}, now); // too_old
    const answer = await server.post({ readings: [stale(1), stale(2), stale(3)] });
    expect(answer.body.rejected).toHaveLength(3);
    await settle();
    const [open] = await alarms("?state=open&turbine_id=r-1");
    expect(open).toMatchObject({
      rule: "rejections",
      detail: expect.stringContaining("3 readings rejected"),
    });
    expect(open.reading).toMatchObject({ turbine_id: "r-1", reason: "too_old" });
  });

  it("silent: no reading for more than N of its own intervals", async () => {
    const now = clock.now();
    await server.post({
      readings: [0, 1, 2].map((i) => reading("s-1", 0, { time: now - 1500 + i * 500 }, now)),
    });
    await settle();
    expect(await alarms("?state=open&turbine_id=s-1")).toEqual([]);
    // Its interval is 500 ms: after 2 of them (and a margin) it is silent.
    clock.set(clock.now() + 1200);
    await settle();
    const [open] = await alarms("?state=open&turbine_id=s-1");
    expect(open).toMatchObject({ rule: "silent", reading: { turbine_id: "s-1" } });
    const snapshot = await server.get("/v1/live/snapshot");
    expect(snapshot.body.turbines.find((t: any) => t.turbine_id === "s-1").silent).toBe(true);
    expect(snapshot.body.alarms.map((a: any) => a.id)).toContain(open.id);
    // It reports again: closed.
    await server.post(reading("s-1", 0, { time: clock.now() }));
    await settle();
    expect(await alarms("?state=open&turbine_id=s-1")).toEqual([]);
  });

  it("fault: closes once its turbine stops reporting, and the silent alarm speaks for it", async () => {
    const ownClock = new ManualClock(Date.now());
    const own = await startTestServer({ env, clock: ownClock });
    try {
      await own.post(reading("gone-1", 1, { status: "fault", power_kw: 0 }, ownClock.now()));
      own.live.hub.flush();
      own.live.engine.sweep();
      await own.live.engine.settled();
      const open = async () =>
        (await own.get("/v1/alarms?state=open&turbine_id=gone-1")).body.alarms.map(
          (a: { rule: string }) => a.rule,
        );
      expect(await open()).toEqual(["fault"]);
      // 16 minutes without a reading: past the freshness limit (15 min) and silent.
      ownClock.set(ownClock.now() + 16 * 60_000);
      own.live.engine.sweep();
      await own.live.engine.settled();
      expect(await open()).toEqual(["silent"]);
      expect((await own.get("/v1/live/snapshot")).body.fleet.open_alarms).toBe(1);
    } finally {
      await own.stop();
    }
  });

  it("a replayed fault from hours ago opens nothing", async () => {
    await server.post(reading("old-1", 120, { status: "fault", power_kw: 0 }));
    await settle();
    expect(await alarms("?turbine_id=old-1")).toEqual([]);
  });
});

describe("GET /v1/alarms", () => {
  it("filters by time and refuses bad parameters with problems", async () => {
    const all = await alarms();
    expect(all.length).toBeGreaterThanOrEqual(4);
    const opened = all.map((a) => Date.parse(a.opened_at));
    expect(opened).toEqual([...opened].sort((a, b) => b - a)); // newest first
    expect(await alarms(`?to=${new Date(clock.now() - 3_600_000).toISOString()}`)).toEqual([]);
    const bad = await server.get("/v1/alarms?state=maybe");
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].pointer).toBe("/state");
    expect((await server.get("/v1/alarms", server.turbineKey("f-1"))).status).toBe(403);
    expect((await server.get("/v1/alarms", "nope")).status).toBe(401);
  });

  it("pages with a cursor: every alarm once, in order, the last page's cursor null", async () => {
    const all = (await alarms()).map((a) => a.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer: any = await server.get(
        `/v1/alarms?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(answer.status).toBe(200);
      expect(answer.body.alarms.length).toBeLessThanOrEqual(2);
      paged.push(...answer.body.alarms.map((a: any) => a.id));
      cursor = answer.body.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    expect(paged).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
    const bad = await server.get("/v1/alarms?cursor=bm90LW91cnM");
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].pointer).toBe("/cursor");
  });
});

describe("stream and restarts", () => {
  it("streams alarm events, and a resumed stream gets the ones it missed", async () => {
    const headers = { authorization: `Bearer ${server.readerKey}` };
    const client = await openSse(`${server.url}/v1/live`, headers);
    const snapshot = await client.next((e) => e.event === "snapshot");
    const seenUpTo = snapshot.id;
    client.close();
    // While no one watches: an alarm opens and closes.
    const now = clock.now();
    await server.post(reading("m-1", 2, { status: "fault", power_kw: 0 }, now));
    await settle();
    await server.post(reading("m-1", 1, { status: "producing" }, now));
    await settle();
    const resumed = await openSse(`${server.url}/v1/live`, {
      ...headers,
      "last-event-id": seenUpTo,
    });
    try {
      await resumed.next(
        (e) => e.event === "alarm" && e.data.kind === "closed" && e.data.alarm.turbine_id === "m-1",
      );
      const missed = resumed.events.filter((e) => e.event === "alarm");
      expect(missed.map((e) => [e.data.kind, e.data.alarm.turbine_id])).toEqual([
        ["opened", "m-1"],
        ["closed", "m-1"],
      ]);
      expect(missed.map((e) => Number(e.id))).toEqual(missed.map((e) => e.data.seq));
      // Live ones follow as they happen.
      await server.post(reading("m-2", 0, { status: "fault", power_kw: 0 }));
      await settle();
      const live = await resumed.next(
        (e) => e.event === "alarm" && e.data.alarm.turbine_id === "m-2",
      );
      expect(live.data).toMatchObject({
        kind: "opened",
        alarm: { rule: "fault", closed_at: null },
      });
    } finally {
      resumed.close();
    }
  });

  it("keeps alarms across a restart: open ones stay open, closed ones listed", async () => {
    const before = await alarms();
    const openBefore = await alarms("?state=open");
    await server.stop();
    server = await startTestServer({ dataDir, env, clock });
    expect(await alarms()).toEqual(before);
    const snapshot = await server.get("/v1/live/snapshot");
    expect(snapshot.body.alarms.map((a: any) => a.id).sort()).toEqual(
      openBefore.map((a) => a.id).sort(),
    );
  });
});
