// A failed fsync of the ingest log: after one, the kernel may have dropped the log's pages and
// reports the error once only, so the store acknowledges nothing more until it is restarted
// (as PostgreSQL does), and what the log holds is recovered then.
import type * as fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { storeReading } from "../support/store-reading.ts";

/**
 * The disk under the log. While `failing`, every fdatasync fails as a disk that lost the pages
 * would make it; `slowMs` makes each sync on the event loop take that long. The calls of each
 * kind are counted, to tell where the log synced.
 */
const disk = vi.hoisted(() => ({ failing: false, slowMs: 0, onLoop: 0, inPool: 0 }));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const ioError = () => Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
  const fdatasync = (fd: number, callback: fs.NoParamCallback) => {
    disk.inPool++;
    if (!disk.failing) return real.fdatasync(fd, callback);
    process.nextTick(() => callback(ioError()));
  };
  const fdatasyncSync = (fd: number) => {
    disk.onLoop++;
    if (disk.slowMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, disk.slowMs);
    if (disk.failing) throw ioError();
    real.fdatasyncSync(fd);
  };
  return {
    ...real,
    default: { ...real, fdatasync, fdatasyncSync },
    fdatasync,
    fdatasyncSync,
  };
});

const dir = mkdtempSync(join(tmpdir(), "gust-sync-failure-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINDOW = { maxAgeMs: 86_400_000, maxFutureMs: 900_000 };
const NOW = Date.now() - 3_600_000;
const reading = (offsetMs: number): Reading =>
  storeReading({ turbine_id: "sync-1", time: NOW + offsetMs });

it.each(["on the event loop", "in the thread pool"])(
  "answers 503 for the group whose sync failed %s and for every write after it, until a restart recovers the log",
  async (where) => {
    const path = join(dir, `gust-${where.replaceAll(" ", "-")}.duckdb`);
    let store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      // A slow disk sends the log's syncs to the thread pool (SyncPlacement).
      if (where === "in the thread pool") disk.slowMs = 25;
      expect(await store.write([reading(0)])).toEqual(["accepted"]);
      disk.slowMs = 0;
      const before = { ...disk };
      disk.failing = true;
      await expect(store.write([reading(1000)])).rejects.toMatchObject({
        name: "StoreUnavailableError",
        message: expect.stringMatching(/could not be synced to disk.*restart gust/),
      });
      const synced = { onLoop: disk.onLoop - before.onLoop, inPool: disk.inPool - before.inPool };
      expect(synced).toEqual(
        where === "in the thread pool" ? { onLoop: 0, inPool: 1 } : { onLoop: 1, inPool: 0 },
      );
      // The disk works again, but the log cannot vouch for what it wrote before: still refused.
      disk.failing = false;
      await expect(store.write([reading(2000)])).rejects.toMatchObject({
        name: "StoreUnavailableError",
      });
      // Reads still answer: every acknowledged reading is there.
      expect(
        await store.select(`SELECT count(*) AS n FROM readings WHERE time = epoch_ms(${NOW})`),
      ).toEqual([{ n: 1 }]);
    } finally {
      await store.close();
    }
    store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      expect(await store.write([reading(2000)])).toEqual(["accepted"]);
      // The acknowledged reading is there; the one whose sync failed may be too (it was never
      // acknowledged, and its client retries: a re-send is then a duplicate, never a second row).
      const retried = await store.write([reading(1000)]);
      expect(["accepted", "duplicate"]).toContain(retried[0]);
      const [row] = await store.select(
        "SELECT count(*) AS n, count(DISTINCT time) AS times FROM readings WHERE turbine_id = 'sync-1'",
      );
      expect(row).toEqual({ n: 3, times: 3 });
    } finally {
      await store.close();
    }
  },
);
