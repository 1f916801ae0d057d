// The live stream's bounds against a real local server on loopback: clients that never read are
// dropped with a bounded buffer while readers keep every update, the snapshot is serialised once
// for every client, updates are deltas, and streams are capped per key (429) and in total (503).
// The soak at full size (100k turbines, 300 clients) is `npm run bench -- soak`.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { reading, startTestServer, type TestServer } from "../api/fixture.ts";
import { fixedClock } from "../support/manual-clock.ts";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const servers: TestServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.stop();
});

async function serverWith(limits: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer({ clock: fixedClock(NOW), ...limits });
  servers.push(server);
  return server;
}

/** Every turbine of the fleet sends one reading (its power marks the round). */
async function fleetSends(server: TestServer, turbines: number, round: number): Promise<void> {
  for (let start = 0; start < turbines; start += 1000) {
    const readings = [];
    for (let i = start; i < Math.min(turbines, start + 1000); i++) {
      const id = `soak-${String(i).padStart(5, "0")}`;
      readings.push(
        reading(id, 0, { time: new Date(NOW - 60_000 + round * 1000), power_kw: round }),
      );
    }
    const answer = await server.post({ readings });
    expect(answer.body.accepted).toBe(readings.length);
  }
  server.live.hub.flush();
}

/** A stream that never reads: the request goes out, and nothing is ever taken off the socket. */
function stalledClient(server: TestServer, key: string): Socket {
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  socket.pause();
  socket.on("error", () => {});
  socket.write(
    `GET /v1/live HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\n\r\n`,
  );
  sockets.push(socket);
  return socket;
}

/** A stream that reads everything, counting the events by name without parsing them. */
async function readingClient(server: TestServer, key: string) {
  const controller = new AbortController();
  const answer = await fetch(`${server.url}/v1/live`, {
    headers: { authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  expect(answer.status).toBe(200);
  // The round is the power the fleet's last turbine sent in the latest update with it.
  const counts = { snapshot: 0, update: 0, round: -1, largestUpdate: 0, lastUpdate: "" };
  const state: { waiting: (() => void) | null } = { waiting: null };
  let buffer = "";
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith("event: snapshot")) counts.snapshot++;
          if (block.startsWith("event: update")) {
            counts.update++;
            counts.lastUpdate = block;
            counts.largestUpdate = Math.max(counts.largestUpdate, block.length + 2);
            const last = /"turbine_id":"soak-04999"[^}]*?"power_kw":(\d+)/.exec(block);
            if (last) counts.round = Number(last[1]);
          }
        }
        state.waiting?.();
      }
    } catch {
      // closed by the test
    }
  })();
  return {
    counts,
    /** Resolves once `done` holds for what was received. */
    async until(done: () => boolean): Promise<void> {
      while (!done())
        await new Promise<void>((resolve) => {
          state.waiting = resolve;
        });
    },
    close: () => controller.abort(),
  };
}

describe("clients that never read", () => {
  it("are dropped with bounded buffers while 25 readers get every update (5k turbines)", async () => {
    const maxBufferedBytes = 256 * 1024;
    const server = await serverWith({
      liveLimits: { maxBufferedBytes, maxQueuedEvents: 4, maxClients: 40, maxClientsPerKey: 40 },
    });
    const turbines = 5000;
    await fleetSends(server, turbines, 0);
    const readers = await Promise.all(
      Array.from({ length: 25 }, () => readingClient(server, server.readerKey)),
    );
    for (let i = 0; i < 5; i++) stalledClient(server, server.operatorKey);
    const streams = server.live.streams;
    await Promise.all(readers.map((r) => r.until(() => r.counts.snapshot === 1)));
    // Every stream so far took the same snapshot: one serialisation of the fleet.
    expect(streams.stats().snapshotsBuilt).toBe(1);
    let rounds = 0;
    while (streams.stats().dropped < 5 && rounds < 20) {
      rounds++;
      await fleetSends(server, turbines, rounds);
      await Promise.all(readers.map((r) => r.until(() => r.counts.round === rounds)));
    }
    const largestUpdate = Math.max(...readers.map((r) => r.counts.largestUpdate));
    const stats = streams.stats();
    expect(stats.dropped).toBe(5);
    expect(stats.clients).toBe(25);
    // Nobody was ever sent more than the bound plus the one event that crossed it.
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(maxBufferedBytes + largestUpdate);
    expect(stats.pinnedSnapshotBytes).toBe(0);
    // Each update is a delta: the turbines that sent.
    const before = readers.map((r) => r.counts.update);
    await fleetSends(server, 1, rounds + 1);
    await Promise.all(readers.map((r, i) => r.until(() => r.counts.update > (before[i] ?? 0))));
    const delta = JSON.parse(readers[0]?.counts.lastUpdate.split("\ndata: ")[1] ?? "{}");
    expect(delta.turbines.map((t: { turbine_id: string }) => t.turbine_id)).toEqual(["soak-00000"]);
    expect(delta.fleet.turbines).toBe(turbines);
    for (const r of readers) r.close();
  });

  it("holding old snapshots, are dropped once those exceed the snapshot budget", async () => {
    // Snapshots larger than what the kernel takes for a socket that is not read (a few MB).
    const turbines = 12_000;
    const server = await serverWith({ liveLimits: { snapshotBudgetBytes: 1 } });
    await fleetSends(server, turbines, 0);
    const streams = server.live.streams;
    stalledClient(server, server.readerKey);
    await until(() => streams.stats().pinnedSnapshotBytes > 0);
    expect(streams.stats()).toMatchObject({ clients: 1, dropped: 0, snapshotsBuilt: 1 });
    // A batch later a second one takes the next snapshot: the budget holds one, so the client
    // still holding the one before is dropped.
    await fleetSends(server, turbines, 1);
    stalledClient(server, server.readerKey);
    await until(() => streams.stats().snapshotsBuilt === 2);
    expect(streams.stats()).toMatchObject({ clients: 1, dropped: 1 });
  });
});

describe("connection caps", () => {
  it("answers 429 past the per-key cap and 503 past the total, with Retry-After", async () => {
    const server = await serverWith({ liveLimits: { maxClientsPerKey: 2, maxClients: 3 } });
    const open = (key: string) =>
      fetch(`${server.url}/v1/live`, { headers: { authorization: `Bearer ${key}` } });
    const a = await open(server.readerKey);
    const b = await open(server.readerKey);
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await open(server.readerKey);
    expect(third.status).toBe(429);
    expect(third.headers.get("content-type")).toBe("application/problem+json");
    expect(third.headers.get("retry-after")).toBe("5");
    expect(((await third.json()) as { detail: string }).detail).toContain("2 live streams");
    const c = await open(server.operatorKey);
    expect(c.status).toBe(200);
    const full = await open(server.operatorKey);
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("5");
    expect(((await full.json()) as { detail: string }).detail).toContain("GET /v1/live/snapshot");
    // A closed stream frees its place.
    await a.body?.cancel();
    await until(() => server.live.streams.stats().clients === 2);
    const again = await open(server.readerKey);
    expect(again.status).toBe(200);
    for (const answer of [b, c, again]) await answer.body?.cancel();
  });
});

/** Waits for the server to get there, turn by turn of the event loop (no timer). */
async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 1_000_000) throw new Error("never got there");
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
