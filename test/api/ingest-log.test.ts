// The embedded store's ingest log: a 200 is durable before the reading is in the DuckDB file.
import { spawn } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import {
  checksummedLine,
  IngestLog,
  LOOP_SYNC_MAX_MS,
  POOL_AFTER_SLOW_SYNCS_MS,
  SEGMENT_MAX_BYTES,
  SyncPlacement,
} from "../../api/store/ingest-log.ts";
import {
  FIRST_SPARE_BYTES,
  MIN_SPARE_BYTES,
  spareBytes,
} from "../../api/store/ingest-log-spare.ts";
import type { Reading } from "../../api/store/port.ts";
import { storeReading } from "../support/store-reading.ts";

const dir = mkdtempSync(join(tmpdir(), "gust-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINDOW = { maxAgeMs: 86_400_000, maxFutureMs: 900_000 };
const NOW = Date.now() - 3_600_000;

function reading(turbine: string, offsetMs: number, version = 1, power = 100): Reading {
  return storeReading({
    turbine_id: turbine,
    time: NOW + offsetMs,
    power_kw: power,
    version,
    tags: { project: "Log Park" },
  });
}

/** The lines of every segment in a log directory, without the zeros after a spare's last line. */
const logLines = (logDir: string) =>
  readdirSync(logDir).flatMap((name) =>
    readFileSync(join(logDir, name), "utf8").replace(/\0+$/, "").split("\n").filter(Boolean),
  );

const rowsOf = (store: Awaited<ReturnType<typeof openDuckDbStore>>, turbine: string) =>
  store.select(
    `SELECT epoch_ms(time) AS time, power_kw, version FROM readings
      WHERE turbine_id = '${turbine}' ORDER BY time, version`,
  );

describe("ingest log", () => {
  it("keeps readings acknowledged just before a SIGKILL, replacements included", async () => {
    const path = join(dir, "crash", "gust.duckdb");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/support/write-then-crash.ts", path, String(NOW)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    const signal = await new Promise((resolve) => child.once("exit", (_code, sig) => resolve(sig)));
    expect(signal).toBe("SIGKILL");
    expect(JSON.parse(output)).toEqual(Array(11).fill("accepted"));
    // The acknowledged readings were only in the log when the process died.
    expect(readdirSync(`${path}.ingest-log`).length).toBeGreaterThan(0);

    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      expect(store.recoveredReadings).toBe(11);
      expect(await rowsOf(store, "crash-1")).toEqual([{ time: NOW, power_kw: 250, version: 2 }]);
      const crash2 = await rowsOf(store, "crash-2");
      expect(crash2.map((r) => r.time)).toEqual(
        Array.from({ length: 10 }, (_, i) => NOW + i * 1000),
      );
      // Applied on open, so the log is empty again.
      expect(logLines(`${path}.ingest-log`)).toEqual([]);
      // A re-send after the restart is a duplicate, not a second row.
      expect(
        await store.write([{ ...reading("crash-2", 0), tags: { project: "Crash Park" } }]),
      ).toEqual(["duplicate"]);
    } finally {
      await store.close();
    }
  });

  it("answers 'unavailable' for a group the disk cannot take, and leaves no part of it", async () => {
    const path = join(dir, "full", "gust.duckdb");
    // Files of this process may not grow past 64 KiB: the 1,500-reading line does not fit.
    const child = spawn(
      "bash",
      [
        "-c",
        `ulimit -f 64 && exec "${process.execPath}" --import tsx test/support/write-past-file-limit.ts "$0" "$1"`,
        path,
        String(NOW),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    await new Promise((resolve) => child.once("exit", resolve));
    expect(output.trim().split("\n")).toEqual([
      "before: 2 accepted",
      "too-large: StoreUnavailableError",
      "after: 2 accepted",
    ]);
    // Every line left in the log is whole (a segment made ahead keeps zeros after its lines).
    const lines = logLines(`${path}.ingest-log`);
    for (const line of lines) {
      expect(line).toMatch(/^[0-9a-f]{8} \[/);
      expect(() => JSON.parse(line.slice(9))).not.toThrow();
    }

    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      const rows = await store.select(
        "SELECT turbine_id, count(*) AS n FROM readings GROUP BY 1 ORDER BY 1",
      );
      expect(rows).toEqual([
        { turbine_id: "after", n: 2 },
        { turbine_id: "before", n: 2 },
      ]);
    } finally {
      await store.close();
    }
  });

  it("skips a log line cut short by a crash and applies the lines before it", async () => {
    const path = join(dir, "torn", "gust.duckdb");
    const logDir = `${path}.ingest-log`;
    mkdirSync(logDir, { recursive: true });
    const line = JSON.stringify([reading("torn-1", 0), reading("torn-1", 1000)]);
    writeFileSync(join(logDir, "segment-0000000001.jsonl"), `${line}\n${line.slice(0, 40)}`);
    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      expect((await rowsOf(store, "torn-1")).map((r) => r.time)).toEqual([NOW, NOW + 1000]);
      expect(readdirSync(logDir)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("stores only the last of versions that meet while waiting for the file", async () => {
    const path = join(dir, "versions", "gust.duckdb");
    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      // Three writes in a row, before any query: all three wait in the log together.
      expect(await store.write([reading("v-1", 0, 1, 100), reading("v-1", 1000)])).toEqual([
        "accepted",
        "accepted",
      ]);
      expect(await store.write([reading("v-1", 0, 2, 200)])).toEqual(["accepted"]);
      expect(await store.write([reading("v-1", 0, 3, 300), reading("v-1", 0, 2, 200)])).toEqual([
        "accepted",
        "conflict",
      ]);
      expect(await rowsOf(store, "v-1")).toEqual([
        { time: NOW, power_kw: 300, version: 3 },
        { time: NOW + 1000, power_kw: 100, version: 1 },
      ]);
      // Now in the file: a higher version replaces it there, a re-send is a duplicate.
      expect(await store.write([reading("v-1", 0, 4, 400)])).toEqual(["accepted"]);
      expect(await store.write([reading("v-1", 1000)])).toEqual(["duplicate"]);
      expect(await rowsOf(store, "v-1")).toEqual([
        { time: NOW, power_kw: 400, version: 4 },
        { time: NOW + 1000, power_kw: 100, version: 1 },
      ]);
    } finally {
      await store.close();
    }
  });

  it("commits a large group straight to the file, after the readings waiting in the log", async () => {
    const path = join(dir, "direct", "gust.duckdb");
    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      // Waiting in the log: two readings of d-1.
      await store.write([reading("d-1", 0), reading("d-1", 1000)]);
      // A gateway's batch of 2,048: a re-send of one, a new version of the other, 2,046 new.
      const batch = [
        reading("d-1", 0),
        reading("d-1", 1000, 2, 500),
        ...Array.from({ length: 2046 }, (_, i) => reading("d-2", i * 1000)),
      ];
      const outcomes = await store.write(batch);
      // The batch went to the file, not the log (and the log's readings went in before it).
      expect(logLines(`${path}.ingest-log`)).toEqual([]);
      expect(outcomes.slice(0, 3)).toEqual(["duplicate", "accepted", "accepted"]);
      expect(outcomes.filter((o) => o === "accepted")).toHaveLength(2047);
      expect(await rowsOf(store, "d-1")).toEqual([
        { time: NOW, power_kw: 100, version: 1 },
        { time: NOW + 1000, power_kw: 500, version: 2 },
      ]);
      expect(await rowsOf(store, "d-2")).toHaveLength(2046);
    } finally {
      await store.close();
    }
  });

  it("puts everything in the file on close and leaves no log behind", async () => {
    const path = join(dir, "close", "gust.duckdb");
    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    await store.write(Array.from({ length: 50 }, (_, i) => reading("close-1", i * 1000)));
    await store.close();
    expect(readdirSync(`${path}.ingest-log`)).toEqual([]);
    const reopened = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      expect(await rowsOf(reopened, "close-1")).toHaveLength(50);
    } finally {
      await reopened.close();
    }
  });

  it("leaves no log behind on close when everything was in the file already", async () => {
    const path = join(dir, "close-applied", "gust.duckdb");
    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    await store.write(Array.from({ length: 50 }, (_, i) => reading("close-2", i * 1000)));
    // A read puts what waits in the log into the file first: the segment holds only readings
    // the file has, which the next open would otherwise apply again.
    expect(await rowsOf(store, "close-2")).toHaveLength(50);
    await store.close();
    expect(readdirSync(`${path}.ingest-log`)).toEqual([]);
  });
});

describe("where the log syncs", () => {
  const placement = () => {
    const clock = { ms: 0 };
    return { clock, placement: new SyncPlacement(() => clock.ms) };
  };

  it("stays on the event loop while syncs are quick, and through the odd slow one", () => {
    const { placement: syncs } = placement();
    for (let i = 0; i < 100; i++) syncs.tookOnLoop(0.3);
    // A single sync of 12 ms moves an average of 0.3 ms to 1.8 ms: still under the limit.
    syncs.tookOnLoop(LOOP_SYNC_MAX_MS * 8 - 4);
    expect(syncs.onLoop()).toBe(true);
  });

  it("goes to the thread pool while the disk is slow, and tries the loop again later", () => {
    const { clock, placement: syncs } = placement();
    let onLoop = 0;
    // A disk whose syncs take 5 ms: a few of them move the average past the limit.
    while (syncs.onLoop() && onLoop < 100) {
      syncs.tookOnLoop(5);
      onLoop++;
    }
    expect(onLoop).toBeGreaterThan(1);
    expect(onLoop).toBeLessThan(10);
    clock.ms += POOL_AFTER_SLOW_SYNCS_MS - 1;
    expect(syncs.onLoop()).toBe(false);
    clock.ms += 1;
    expect(syncs.onLoop()).toBe(true);
    // The loop starts afresh: one quick sync keeps it there.
    syncs.tookOnLoop(0.2);
    expect(syncs.onLoop()).toBe(true);
  });
});

describe("segments made ahead", () => {
  it("writes the next segment over zeros made ahead, and recovers its lines after a crash", async () => {
    const logDir = join(dir, "spares");
    const log = await IngestLog.open(logDir);
    const first = JSON.stringify([reading("s-1", 0)]);
    const second = JSON.stringify([reading("s-1", 1000)]);
    try {
      await (await log.append(first)).synced;
      log.rotate();
      await (await log.append(second)).synced;
      // The second segment was made ahead: its line lies over zeros, which the file keeps.
      const file = join(logDir, "segment-0000000002.jsonl");
      expect(statSync(file).size).toBe(FIRST_SPARE_BYTES);
      expect(readFileSync(file, "utf8").startsWith(checksummedLine(second))).toBe(true);
      // A crash while the next line was being written leaves part of it before the zeros.
      const fd = openSync(file, "r+");
      writeSync(
        fd,
        checksummedLine(second).slice(0, 30),
        Buffer.byteLength(checksummedLine(second)),
      );
      closeSync(fd);
      // Another process opens the log, as the store does after a crash.
      const { groups, problems } = await (await IngestLog.open(logDir)).recover();
      expect(groups.map((group) => group.readings.map((r) => r.time))).toEqual([
        [NOW],
        [NOW + 1000],
      ]);
      expect(problems).toEqual([
        expect.objectContaining({
          file,
          line: 2,
          kind: "torn",
          raw: checksummedLine(second).slice(0, 30),
        }),
      ]);
    } finally {
      await log.close();
    }
  });

  it("sizes a segment made ahead on what the last one held", () => {
    expect(spareBytes(undefined, SEGMENT_MAX_BYTES)).toBe(FIRST_SPARE_BYTES);
    expect(spareBytes(10, SEGMENT_MAX_BYTES)).toBe(MIN_SPARE_BYTES);
    // A quarter more than 1 MiB, in whole 64 KiB.
    expect(spareBytes(1024 * 1024, SEGMENT_MAX_BYTES)).toBe(1024 * 1024 + 256 * 1024);
    expect(spareBytes(1024 * 1024 + 1, SEGMENT_MAX_BYTES)).toBe(1024 * 1024 + 320 * 1024);
    expect(spareBytes(100 * 1024 * 1024, SEGMENT_MAX_BYTES)).toBe(SEGMENT_MAX_BYTES);
  });
});
