// The embedded store's pipelined group commit: a group is classified and staged while the group
// before it is still committing, so it must see that group's readings although no query does.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { PrebegunTransactions } from "../../api/store/duckdb-prebegun.ts";
import { DuckDbStore, openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { storeReading } from "../support/store-reading.ts";

const dir = mkdtempSync(join(tmpdir(), "gust-pipeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.now() - 3_600_000;
const TURBINES = 8;

/** The n-th reading of the fleet: turbines in turn, a second apart per turbine. */
function reading(n: number, version = 1, power = 100): Reading {
  return storeReading({
    turbine_id: `p-${n % TURBINES}`,
    time: NOW + Math.floor(n / TURBINES) * 1000,
    power_kw: power,
    version,
  });
}
const readings = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => reading(from + i));

/**
 * Resolves once the store has classified the group that holds `marker`: a COMMIT held until then
 * is surely still under way while that group is classified (a slow disk, without waiting on one).
 */
function classified(marker: Reading): Promise<void> {
  // The store's own private step, observed: the pipeline has no public event for it.
  const prototype = DuckDbStore.prototype as unknown as {
    classify(readings: readonly Reading[]): Promise<unknown>;
  };
  const classify = prototype.classify;
  return new Promise((resolve) => {
    vi.spyOn(prototype, "classify").mockImplementation(async function (
      this: unknown,
      group: readonly Reading[],
    ) {
      const result = await classify.call(this, group);
      if (group.includes(marker)) resolve();
      return result;
    });
  });
}

it("classifies a group against the one still committing: re-sends are duplicates, a new version replaces, nothing is stored twice", async () => {
  const store = await openDuckDbStore({
    path: join(dir, "gust.duckdb"),
    writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 900_000 },
  });
  try {
    // The turbines' keys first (a group adding keys commits alone).
    await store.write(readings(0, 2048));
    // A fills a group of its own and commits directly; B is classified while A commits. B re-sends
    // A's first 1,000 readings, a second version of its 1,001st, and 1,047 new ones.
    const a = readings(2048, 16_384);
    const b = [...a.slice(0, 1000), reading(2048 + 1000, 2, 999), ...readings(2048 + 16_384, 1047)];
    // A slow disk: each pipelined COMMIT waits until B is classified, so that B is classified
    // while A's rows are in no table a query sees.
    const bClassified = classified(b[1000] as Reading);
    const end = PrebegunTransactions.prototype.end;
    vi.spyOn(PrebegunTransactions.prototype, "end").mockImplementation(function (
      this: PrebegunTransactions,
      ...args: Parameters<typeof end>
    ) {
      return bClassified.then(() => end.apply(this, args));
    });
    const [aOutcomes, bOutcomes] = await Promise.all([store.write(a), store.write(b)]);
    expect(new Set(aOutcomes)).toEqual(new Set(["accepted"]));
    expect(bOutcomes.slice(0, 1000)).toEqual(Array(1000).fill("duplicate"));
    expect(new Set(bOutcomes.slice(1000))).toEqual(new Set(["accepted"]));

    const [counts] = await store.select(
      `SELECT count(*) AS readings, count(DISTINCT (turbine_id, time)) AS identities FROM readings`,
    );
    expect(counts).toEqual({ readings: 2048 + 16_384 + 1047, identities: 2048 + 16_384 + 1047 });
    const replaced = reading(2048 + 1000);
    expect(
      await store.select(
        `SELECT power_kw, version FROM readings
          WHERE turbine_id = '${replaced.turbine_id}' AND epoch_ms(time) = ${replaced.time}`,
      ),
    ).toEqual([{ power_kw: 999, version: 2 }]);
  } finally {
    vi.restoreAllMocks();
    await store.close();
  }
});

it("fails the group classified against one whose COMMIT failed, and a retry stores both once", async () => {
  const store = await openDuckDbStore({
    path: join(dir, "failing", "gust.duckdb"),
    writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 900_000 },
  });
  try {
    await store.write(readings(0, 2048));
    const a = readings(2048, 16_384);
    const b = [...a.slice(0, 1000), ...readings(2048 + 16_384, 1048)];
    // The disk fails A's COMMIT (it is rolled back instead), after B was classified against A.
    const bClassified = classified(b[1000] as Reading);
    const end = PrebegunTransactions.prototype.end;
    vi.spyOn(PrebegunTransactions.prototype, "end").mockImplementationOnce(async function (
      this: PrebegunTransactions,
      transaction,
    ) {
      await bClassified;
      await end.call(this, transaction, "ROLLBACK");
      throw new Error("IO Error: could not write the WAL (a test's failing disk)");
    });
    const [aResult, bResult] = await Promise.allSettled([store.write(a), store.write(b)]);
    expect(aResult).toMatchObject({
      status: "rejected",
      reason: { name: "StoreUnavailableError" },
    });
    // B's re-sends of A would have been "duplicates" of readings that are not stored.
    expect(bResult).toMatchObject({
      status: "rejected",
      reason: { name: "StoreUnavailableError" },
    });
    vi.restoreAllMocks();

    expect(new Set(await store.write(a))).toEqual(new Set(["accepted"]));
    const again = await store.write(b);
    expect(again.slice(0, 1000)).toEqual(Array(1000).fill("duplicate"));
    expect(new Set(again.slice(1000))).toEqual(new Set(["accepted"]));
    const [counts] = await store.select(
      `SELECT count(*) AS readings, count(DISTINCT (turbine_id, time)) AS identities FROM readings`,
    );
    expect(counts).toEqual({ readings: 2048 + 16_384 + 1048, identities: 2048 + 16_384 + 1048 });
  } finally {
    vi.restoreAllMocks();
    await store.close();
  }
});

it("classifies by identity the readings of a turbine that come out of order, beside the rising turbines of the group", async () => {
  const store = await openDuckDbStore({
    path: join(dir, "order", "gust.duckdb"),
    writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 900_000 },
  });
  try {
    await store.write(readings(0, 2048));
    // p-0 (readings n = 0, 8, 16, ...) arrives out of order, with a re-send of one reading of
    // this group and one of the first; the other turbines rise as usual.
    const later = (n: number) => reading(2048 + n * TURBINES);
    const group = [
      later(3),
      later(1),
      later(2),
      { ...later(1) },
      reading(0),
      ...readings(2048, 4096).filter((r) => r.turbine_id !== "p-0"),
    ];
    const outcomes = await store.write(group);
    expect(outcomes.slice(0, 5)).toEqual([
      "accepted",
      "accepted",
      "accepted",
      "duplicate",
      "duplicate",
    ]);
    expect(new Set(outcomes.slice(5))).toEqual(new Set(["accepted"]));
    const [counts] = await store.select(
      `SELECT count(*) AS readings, count(DISTINCT (turbine_id, time)) AS identities FROM readings`,
    );
    const expected = 2048 + 3 + (group.length - 5);
    expect(counts).toEqual({ readings: expected, identities: expected });
  } finally {
    await store.close();
  }
});

it("adds a new measure's column before the group that brings it, beside transactions begun ahead", async () => {
  const path = join(dir, "columns", "gust.duckdb");
  const window = { maxAgeMs: 86_400_000, maxFutureMs: 900_000 };
  let store = await openDuckDbStore({ path, writeWindow: window });
  const measured = (n: number): Reading => ({ ...reading(n), measures: { rotor_speed_rpm: n } });
  try {
    await store.write(readings(0, 2048));
    // One reading through the log brings the name; a gateway's batch then uses it directly.
    expect(await store.write([measured(2048)])).toEqual(["accepted"]);
    const batch = Array.from({ length: 4096 }, (_, i) => measured(2049 + i));
    expect(new Set(await store.write(batch))).toEqual(new Set(["accepted"]));
    await store.close();
    store = await openDuckDbStore({ path, writeWindow: window });
    const [row] = await store.select(
      `SELECT count(*) AS readings, count(rotor_speed_rpm) AS measured,
              sum(rotor_speed_rpm) AS total FROM readings`,
    );
    const total = Array.from({ length: 4097 }, (_, i) => 2048 + i).reduce((a, b) => a + b, 0);
    expect(row).toEqual({ readings: 2048 + 4097, measured: 4097, total });
  } finally {
    await store.close();
  }
});
