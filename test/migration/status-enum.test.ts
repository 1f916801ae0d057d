// A gust.duckdb written by the keyed-layout release that stored reading_rows.status as text
// (b628cf1) opens with the new code and gets the status ENUM in place, every reading kept; a
// file holding a status gust never wrote (edited by hand) keeps its text column and still works.
// The file is written by the release's own code, taken from git into a temp dir.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { storeReading } from "../support/store-reading.ts";
import { serveBanner } from "./serve-banner.ts";

const RELEASE = "b628cf1";
const WINDOW = { maxAgeMs: 30 * 86_400_000, maxFutureMs: 900_000 };
const repo = resolve(import.meta.dirname, "../..");
let release: string;

beforeAll(() => {
  release = mkdtempSync(join(tmpdir(), "gust-release-text-status-"));
  const archive = execFileSync("git", ["archive", RELEASE, "api"], {
    cwd: repo,
    maxBuffer: 64 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", release], { input: archive });
  // The release's store, writing the batches in a JSON file (too large for an argument).
  writeFileSync(
    join(release, "writer.ts"),
    `import { readFileSync } from "node:fs";
     import { openDuckDbStore } from "./api/store/duckdb-store.ts";
     const [path, batchesFile] = process.argv.slice(2);
     const store = await openDuckDbStore({ path, writeWindow: ${JSON.stringify(WINDOW)} });
     for (const batch of JSON.parse(readFileSync(batchesFile, "utf8"))) await store.write(batch);
     await store.close();`,
  );
  symlinkSync(join(repo, "node_modules"), join(release, "node_modules"));
  writeFileSync(join(release, "package.json"), '{"type":"module"}');
}, 60_000);
afterAll(() => rmSync(release, { recursive: true, force: true }));

/** Writes the batches with the release's store (logged and direct groups) and closes it. */
function writeWithRelease(path: string, batches: Reading[][]): void {
  const batchesFile = `${path}.batches.json`;
  writeFileSync(batchesFile, JSON.stringify(batches));
  execFileSync(
    process.execPath,
    ["--import", "tsx", join(release, "writer.ts"), path, batchesFile],
    {
      cwd: release,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

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

const STATUSES = ["producing", "idle", "curtailed", "fault", "maintenance", null] as const;
const start = Date.now() - 86_400_000;

/** Every status (and none), a status code and a measure now and then. */
function releaseReadings(count: number, offset: number): Reading[] {
  return Array.from({ length: count }, (_, i) => {
    const k = offset + i;
    return storeReading({
      turbine_id: `text-${k % 7}`,
      time: start + Math.floor(k / 7) * 60_000,
      power_kw: 100 + k / 8,
      status: STATUSES[k % STATUSES.length] ?? null,
      status_code: k % 5 === 0 ? 300 + (k % 11) : null,
      measures: k % 3 === 0 ? { pitch_angle_deg: k / 100 } : {},
    });
  });
}

const SELECT_ALL = `SELECT turbine_id, epoch_ms(time) AS time, power_kw, status, status_code,
                           pitch_angle_deg FROM readings ORDER BY turbine_id, time`;

it("converts a release's text status column in place, every reading kept", async () => {
  const data = mkdtempSync(join(tmpdir(), "gust-text-status-"));
  const path = join(data, "gust.duckdb");
  try {
    // A small group goes through the release's ingest log, a large one straight to the file.
    const written = [releaseReadings(40, 0), releaseReadings(3000, 40)];
    writeWithRelease(path, written);
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
      const next = releaseReadings(5, 3040);
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
  const data = mkdtempSync(join(tmpdir(), "gust-text-status-edited-"));
  const path = join(data, "gust.duckdb");
  try {
    writeWithRelease(path, [releaseReadings(30, 0)]);
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
      const next = releaseReadings(6, 700);
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
  const data = mkdtempSync(join(tmpdir(), "gust-text-status-serve-"));
  try {
    writeWithRelease(join(data, "gust.duckdb"), [releaseReadings(12, 0)]);
    const output = await serveBanner(data);
    expect(output).toMatch(/migrated: the status of 12 readings is now stored as one byte/);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}, 60_000);
