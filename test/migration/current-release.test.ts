// A gust.duckdb written by release 2dfbf7d (one `readings` table with a tags JSON column, and
// possibly a leftover ingest log in its line format) opens with the new code and is migrated in
// place: every reading keeps every value. The data directories are fixtures that the release's
// own store code wrote (test/fixtures/README.md); each test opens a copy.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { describeFromTags } from "../../api/registry/from-reading-tags.ts";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import { copyFixture } from "../fixtures/copy-fixture.ts";
import { FIXTURES, type TagsJsonReading } from "../fixtures/release-data.ts";
import { serveBanner } from "./serve-banner.ts";

const WINDOW = { maxAgeMs: 30 * 86_400_000, maxFutureMs: 900_000 };

it("migrates a release file and its leftover ingest log in place, every reading kept", async () => {
  const data = copyFixture("2dfbf7d-with-log");
  const path = join(data, "gust.duckdb");
  try {
    // What the release acknowledged, a later version of a reading replacing the earlier one:
    // the first run's readings are in the file, the second run's only in the ingest log.
    const expected = new Map<string, TagsJsonReading>();
    for (const r of FIXTURES["2dfbf7d-with-log"].runs.flatMap((run) => run.batches.flat())) {
      expected.set(`${r.turbine_id}|${r.time}`, r);
    }
    expect(readdirSync(`${path}.ingest-log`).length).toBeGreaterThan(0);

    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      expect(store.migration).toMatchObject({ readings: 600, turbines: 4 });
      expect(store.recoveredReadings).toBe(41);
      const rows = await store.select(
        `SELECT turbine_id, epoch_ms(time) AS time, power_kw, wind_speed_ms, status, status_code,
                version, CAST(tags AS VARCHAR) AS tags
           FROM ${store.tableRef} ORDER BY turbine_id, time`,
      );
      const stored = rows.map((row) => ({ ...row, tags: JSON.parse(String(row.tags)) }));
      const want = [...expected.values()]
        .sort((a, b) => a.turbine_id.localeCompare(b.turbine_id) || a.time - b.time)
        .map((r) => ({ ...r, status_code: null }));
      expect(stored).toHaveLength(want.length);
      expect(stored).toEqual(want);
      // The file is in the new layout: readings is a view, and new wide readings go in beside.
      const kind = await store.select(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'readings'",
      );
      expect(kind).toEqual([{ table_type: "VIEW" }]);
    } finally {
      await store.close();
    }
    // Opening again migrates nothing more.
    const again = await openDuckDbStore({ path, writeWindow: WINDOW });
    expect(again.migration).toBeNull();
    expect(await again.select(`SELECT count(*) AS n FROM ${again.tableRef}`)).toEqual([
      { n: expected.size },
    ]);
    await again.close();
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

it("npm run serve says that it migrated the release file", async () => {
  const data = copyFixture("2dfbf7d-20-readings");
  try {
    const output = await serveBanner(data);
    expect(output).toMatch(
      /migrated: 20 readings of 2 turbines .* in place; 2 turbines registered from their latest reading tags/,
    );
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

it("maps a turbine's latest reading tags to its registry entry", () => {
  expect(
    describeFromTags({
      tags: {
        project: "Park 1",
        model: "V112",
        rated_kw: "3075",
        lat: "52.5",
        lon: "5.6",
        province: "Flevoland",
      },
      maxPowerKw: 2900,
    }),
  ).toMatchObject({
    project: "Park 1",
    model: "V112",
    rated_kw: 3075,
    latitude: 52.5,
    longitude: 5.6,
    tags: { province: "Flevoland" },
  });
  // No rated_kw tag: the highest stored power stands in, marked as such.
  expect(describeFromTags({ tags: { province: "Zeeland" }, maxPowerKw: 1999.2 })).toMatchObject({
    project: null,
    rated_kw: 2000,
    tags: { province: "Zeeland", rated_kw_source: "migration" },
  });
});
