// A gust.duckdb written by the keyed-layout release that stored reading_rows.status as text
// (b628cf1) opens with the new code and gets the status ENUM in place, every reading kept; a
// file holding a status gust never wrote (edited by hand) keeps its text column and still works.
// The data directories are fixtures that the release's own code wrote (test/fixtures/README.md);
// each test opens a copy.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { expect, it } from "vitest";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { copyFixture } from "../fixtures/copy-fixture.ts";
import { FIXTURES, textStatusReadings } from "../fixtures/release-data.ts";
import { storeReading } from "../support/store-reading.ts";
import { serveBanner } from "./serve-banner.ts";

const WINDOW = { maxAgeMs: 30 * 86_400_000, maxFutureMs: 900_000 };

async function columnType(path: string): Promise<string> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const result = await connection.runAndReadAll(
      "SELECT data_type FROM duckdb_columns() WHERE table_name = 'reading_rows' AND column_name = 'status'",
    );
    return String(result.getRows()[0]?.[0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Readings for the current code to write after the release's, continuing the fixture's run. */
function newReadings(count: number, offset: number): Reading[] {
  return textStatusReadings(count, offset).map((r) => storeReading(r));
}

const SELECT_ALL = `SELECT turbine_id, epoch_ms(time) AS time, power_kw, status, status_code,
                           pitch_angle_deg FROM readings ORDER BY turbine_id, time`;

it("converts a release's text status column in place, every reading kept", async () => {
  const data = copyFixture("b628cf1-3040-readings");
  const path = join(data, "gust.duckdb");
  try {
    // 40 readings through the release's ingest log, 3000 straight to the file.
    const written = FIXTURES["b628cf1-3040-readings"].runs.flatMap((run) => run.batches);
    expect(await columnType(path)).toBe("VARCHAR");

    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      expect(store.statusConversion).toEqual({ readings: 3040 });
      const rows = await store.select(SELECT_ALL);
      const want = written
        .flat()
        .sort((a, b) => a.turbine_id.localeCompare(b.turbine_id) || a.time - b.time)
        .map((r) => ({
          turbine_id: r.turbine_id,
          time: r.time,
          power_kw: r.power_kw,
          status: r.status,
          status_code: r.status_code,
          pitch_angle_deg: r.measures.pitch_angle_deg ?? null,
        }));
      expect(rows).toEqual(want);
      // Status still reads as text: a filter on a value the ENUM lacks finds nothing.
      expect(
        await store.select("SELECT count(*) AS n FROM readings WHERE status = 'bogus'"),
      ).toEqual([{ n: 0 }]);
      // New readings go in beside the converted ones.
      const next = newReadings(5, 3040);
      expect(await store.write(next)).toEqual(next.map(() => "accepted"));
    } finally {
      await store.close();
    }
    expect(await columnType(path)).toMatch(/^ENUM\('producing', 'idle'/);
    const again = await openDuckDbStore({ path, writeWindow: WINDOW });
    expect(again.statusConversion).toBeNull();
    expect(await again.select("SELECT count(*) AS n FROM readings")).toEqual([{ n: 3045 }]);
    await again.close();
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}, 60_000);

it("keeps a text status column that holds a value gust never wrote, and still takes writes", async () => {
  const data = copyFixture("b628cf1-30-readings");
  const path = join(data, "gust.duckdb");
  try {
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(
      "UPDATE reading_rows SET status = 'stopped by hand' WHERE status = 'fault'",
    );
    connection.closeSync();
    instance.closeSync();

    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      expect(store.statusConversion).toMatchObject({
        kept: expect.stringMatching(/stopped by hand/),
      });
      expect(
        await store.select("SELECT count(*) AS n FROM readings WHERE status = 'stopped by hand'"),
      ).toEqual([{ n: 5 }]);
      const next = newReadings(6, 700);
      expect(await store.write(next)).toEqual(next.map(() => "accepted"));
      const rows = await store.select(
        `SELECT status FROM readings WHERE epoch_ms(time) >= ${next[0]?.time} ORDER BY turbine_id, time`,
      );
      expect(rows.map((row) => row.status).sort()).toEqual(
        next.map((r) => r.status).sort() as unknown[],
      );
    } finally {
      await store.close();
    }
    expect(await columnType(path)).toBe("VARCHAR");
    // Every start says why, since every start tries again.
    expect(await serveBanner(data)).toMatch(/statuses stay stored as text.*stopped by hand/);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}, 60_000);

it("npm run serve says that it converted the status column", async () => {
  const data = copyFixture("b628cf1-30-readings");
  try {
    const output = await serveBanner(data);
    expect(output).toMatch(/migrated: the status of 30 readings is now stored as one byte/);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}, 60_000);
