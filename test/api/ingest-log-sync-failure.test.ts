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

/** While set, every fdatasync fails as a disk that lost the pages would make it. */
const disk = vi.hoisted(() => ({ failing: false }));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const fdatasync = (fd: number, callback: fs.NoParamCallback) => {
    if (!disk.failing) return real.fdatasync(fd, callback);
    const error = Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
    process.nextTick(() => callback(error));
  };
  return { ...real, default: { ...real, fdatasync }, fdatasync };
});

const dir = mkdtempSync(join(tmpdir(), "gust-sync-failure-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINDOW = { maxAgeMs: 86_400_000, maxFutureMs: 900_000 };
const NOW = Date.now() - 3_600_000;
const reading = (offsetMs: number): Reading =>
  storeReading({ turbine_id: "sync-1", time: NOW + offsetMs });

it("answers 503 for the group whose sync failed and for every write after it, until a restart recovers the log", async () => {
  const path = join(dir, "gust.duckdb");
  let store = await openDuckDbStore({ path, writeWindow: WINDOW });
  try {
    expect(await store.write([reading(0)])).toEqual(["accepted"]);
    disk.failing = true;
    await expect(store.write([reading(1000)])).rejects.toMatchObject({
      name: "StoreUnavailableError",
      message: expect.stringMatching(/could not be synced to disk.*restart gust/),
    });
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
});
