// A gust.duckdb written by the current release (2dfbf7d: one `readings` table with a tags JSON
// column, and possibly a leftover ingest log in its line format) opens with the new code and is
// migrated in place: every reading keeps every value. The file is written by the release's own
// store code, taken from git into a temp dir and run in a child process.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeFromTags } from "../../api/registry/from-reading-tags.ts";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import { serveBanner } from "./serve-banner.ts";

const RELEASE = "2dfbf7d";
const RELEASE_FILES = [
  "api/store/duckdb-store.ts",
  "api/store/duckdb-readings-table.ts",
  "api/store/identity.ts",
  "api/store/ingest-log.ts",
  "api/store/port.ts",
  "api/readings/schema.ts",
];
const repo = resolve(import.meta.dirname, "../..");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gust-release-"));
  for (const file of RELEASE_FILES) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(
      join(dir, file),
      execFileSync("git", ["show", `${RELEASE}:${file}`], { cwd: repo }),
    );
  }
  writeFileSync(
    join(dir, "writer.ts"),
    execFileSync("cat", [join(repo, "test/migration/old-release-writer.ts")]),
  );
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), '{"type":"module"}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.now();
const MINUTE = 60_000;

interface OldReading {
  turbine_id: string;
  time: number;
  power_kw: number;
  wind_speed_ms: number;
  status: string | null;
  version: number;
  tags: Record<string, string>;
}

function oldReading(turbine: number, minute: number, extra: Partial<OldReading> = {}): OldReading {
  return {
    turbine_id: `old-${turbine}`,
    time: NOW - (200 - minute) * MINUTE,
    power_kw: 1000 + turbine * 10 + minute / 4,
    wind_speed_ms: 5 + (minute % 13) / 2,
    status: minute % 7 === 0 ? null : "producing",
    version: 1,
    tags:
      turbine === 3
        ? {}
        : { project: `Park ${turbine}`, province: "Flevoland", rated_kw: "2000", lat: "52.5" },
    ...extra,
  };
}

function runRelease(path: string, batches: OldReading[][], leaveLog = false): void {
  execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(dir, "writer.ts"),
      path,
      JSON.stringify(batches),
      ...(leaveLog ? ["--leave-log"] : []),
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
}

it("migrates a release file and its leftover ingest log in place, every reading kept", async () => {
  const data = mkdtempSync(join(tmpdir(), "gust-release-data-"));
  const path = join(data, "gust.duckdb");
  try {
    const expected = new Map<string, OldReading>();
    const keep = (readings: OldReading[]) => {
      for (const r of readings) expected.set(`${r.turbine_id}|${r.time}`, r);
    };
    // Applied to the file by the release: 4 turbines x 150 minutes, one correction.
    const first = Array.from({ length: 600 }, (_, i) => oldReading(i % 4, Math.floor(i / 4)));
    const correction = oldReading(1, 10, {
      power_kw: 7.5,
      version: 2,
      tags: { project: "Renamed" },
    });
    runRelease(path, [first.slice(0, 300), first.slice(300), [correction]]);
    keep(first);
    keep([correction]);
    // Acknowledged by the release but left in its ingest log (it stopped before applying).
    const late = Array.from({ length: 40 }, (_, i) => oldReading(i % 4, 150 + Math.floor(i / 4)));
    const lateCorrection = oldReading(2, 5, { wind_speed_ms: 3.25, version: 3 });
    runRelease(path, [late, [lateCorrection]], true);
    keep(late);
    keep([lateCorrection]);
    expect(readdirSync(`${path}.ingest-log`).length).toBeGreaterThan(0);

    const store = await openDuckDbStore({
      path,
      writeWindow: { maxAgeMs: 30 * 86_400_000, maxFutureMs: 900_000 },
    });
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
    const again = await openDuckDbStore({
      path,
      writeWindow: { maxAgeMs: 30 * 86_400_000, maxFutureMs: 900_000 },
    });
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
  const data = mkdtempSync(join(tmpdir(), "gust-release-serve-"));
  try {
    runRelease(join(data, "gust.duckdb"), [
      Array.from({ length: 20 }, (_, i) => oldReading(i % 2, i)),
    ]);
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
