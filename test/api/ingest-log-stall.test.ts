// A stalled disk under the ingest log (a frozen or hung filesystem): a sync that does not answer
// within its deadline makes the writes waiting for it, and every write after, answer 503 with
// Retry-After, while reads and the health check keep answering on the event loop; once the
// disk answers again, writes are taken again.
import type * as fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { storeReading } from "../support/store-reading.ts";

/**
 * The disk under the log: `slowMs` makes each sync on the event loop take that long (which sends
 * later syncs to the thread pool); while `stuck`, syncs in the pool do not answer until released.
 */
const disk = vi.hoisted(() => ({
  slowMs: 0,
  stuck: false,
  held: [] as (() => void)[],
}));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const fdatasync = (fd: number, callback: fs.NoParamCallback) => {
    if (!disk.stuck) return real.fdatasync(fd, callback);
    disk.held.push(() => real.fdatasync(fd, callback));
  };
  const fdatasyncSync = (fd: number) => {
    if (disk.slowMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, disk.slowMs);
    real.fdatasyncSync(fd);
  };
  return { ...real, default: { ...real, fdatasync, fdatasyncSync }, fdatasync, fdatasyncSync };
});

const dir = mkdtempSync(join(tmpdir(), "gust-stall-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINDOW = { maxAgeMs: 86_400_000, maxFutureMs: 900_000 };
const NOW = Date.parse("2026-06-01T12:00:00Z");
const reading = (offsetMs: number): Reading =>
  storeReading({ turbine_id: "stall-1", time: NOW - 3_600_000 + offsetMs });

it("answers 503 with Retry-After past the sync deadline, reads and ping go on, then recovers", async () => {
  const clock = new ManualClock(NOW);
  const store = await openDuckDbStore({
    path: join(dir, "gust.duckdb"),
    writeWindow: WINDOW,
    clock,
  });
  try {
    // A slow disk first: the log's next syncs go to the thread pool (SyncPlacement).
    disk.slowMs = 25;
    expect(await store.write([reading(0)])).toEqual(["accepted"]);
    disk.slowMs = 0;
    // Then the disk stops answering.
    disk.stuck = true;
    const stalled = { name: "StoreUnavailableError", retryAfterSeconds: 5 };
    const refused = store.write([reading(1000)]);
    // The test's clock passes the sync's deadline (and any timer before it).
    await clock.runUntil(
      refused.catch(() => undefined),
      { what: "the stalled write's answer" },
    );
    await expect(refused).rejects.toMatchObject({
      ...stalled,
      message: expect.stringMatching(/has not finished a sync .* Reads still answer/),
    });
    // Every write meanwhile is refused at once.
    await expect(store.write([reading(2000)])).rejects.toMatchObject(stalled);
    await expect(store.ping()).rejects.toMatchObject(stalled);
    // Reads answer: the acknowledged reading is there.
    expect(
      await store.select("SELECT count(*) AS n FROM readings WHERE turbine_id = 'stall-1'"),
    ).toContainEqual({ n: expect.any(Number) });
    // The disk answers again: the held sync completes, and writes are taken again.
    disk.stuck = false;
    for (const release of disk.held.splice(0)) release();
    for (let turns = 0; turns < 10_000; turns++) {
      if (
        await store.ping().then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.write([reading(3000)])).toEqual(["accepted"]);
    // A refused reading may have reached the disk: its retry is a duplicate, never a second row.
    const retried = await store.write([reading(1000)]);
    expect(["accepted", "duplicate"]).toContain(retried[0]);
    const [row] = await store.select(
      "SELECT count(*) AS n, count(DISTINCT time) AS times FROM readings WHERE turbine_id = 'stall-1'",
    );
    expect(row).toEqual({ n: 3, times: 3 });
  } finally {
    disk.stuck = false;
    for (const release of disk.held.splice(0)) release();
    await store.close();
  }
});
