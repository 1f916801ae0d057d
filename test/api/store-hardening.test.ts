// Issue 18, the embedded store: one bad reading never blocks the others (quarantine), a failing
// apply never ends the process, the ingest log names what recovery lost or refused, and a
// DuckDB file deleted under the running server stops acknowledgements.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { APPLY_AFTER_MS, type DuckDbStore, openDuckDbStore } from "../../api/store/duckdb-store.ts";
import { checksummedLine } from "../../api/store/ingest-log.ts";
import type { Reading } from "../../api/store/port.ts";
import { applySplittingFailures } from "../../api/store/quarantine.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { storeReading } from "../support/store-reading.ts";
import { startTestServer } from "./fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "gust-store-hardening-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINDOW = { maxAgeMs: 86_400_000, maxFutureMs: 900_000 };
const NOW = Date.now() - 3_600_000;

function reading(turbine: string, offsetMs: number, extra: Partial<Reading> = {}): Reading {
  return storeReading({ turbine_id: turbine, time: NOW + offsetMs, ...extra });
}

// A reading the DuckDB file refuses however often it is tried: its measure cannot be a column.
// The API never lets one through (names are checked); the store must survive it all the same.
const poison = (turbine: string, offsetMs: number) =>
  reading(turbine, offsetMs, { measures: { "Bad-Name": 1 } });

const quietly = () => vi.spyOn(console, "error").mockImplementation(() => undefined);

describe("applySplittingFailures", () => {
  it("applies all but the items that fail alone, in halves, and throws transient failures", async () => {
    const refused: number[] = [];
    const applied: number[] = [];
    const apply = async (items: readonly number[]) => {
      if (items.includes(3) || items.includes(6)) throw new Error("Conversion Error: bad value");
    };
    await applySplittingFailures(
      [0, 1, 2, 3, 4, 5, 6, 7],
      apply,
      (item) => refused.push(item),
      (items) => applied.push(...items),
    );
    expect(refused).toEqual([3, 6]);
    expect(applied.sort()).toEqual([0, 1, 2, 4, 5, 7]);
    await expect(
      applySplittingFailures(
        [1, 2],
        async () => {
          throw new Error("IO Error: No space left on device");
        },
        () => expect.unreachable(),
      ),
    ).rejects.toThrow(/No space/);
  });
});

describe("a reading the DuckDB file refuses", () => {
  it("is quarantined with its reason while the apply runs with no reader waiting; the rest is applied and the server stays up", async () => {
    const server = await startTestServer();
    const errors = quietly();
    try {
      // Groups under the direct-commit size, logged, until the apply starts from the write path
      // with nobody waiting for it: an unhandled failure there would end the process.
      for (let round = 0; round < 9; round++) {
        const batch = Array.from({ length: 1900 }, (_, i) =>
          reading("q-1", round * 1900_000 + i * 1000),
        );
        if (round === 0) batch[5] = poison("q-1", 5 * 1000);
        const outcomes = await server.store.write(batch, Date.now());
        expect(outcomes.every((o) => o === "accepted")).toBe(true);
      }
      await (server.store as DuckDbStore).idle();
      const health = await server.get("/healthz");
      expect(health.status).toBe(200);
      expect(health.body.quarantined_readings).toBe(1);
      const [row] = await server.store.select(
        "SELECT count(*) AS n FROM readings WHERE turbine_id = 'q-1'",
      );
      expect(row?.n).toBe(9 * 1900 - 1);
      const lines = readFileSync(join(server.dataDir, "gust.duckdb.quarantine.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        source: "apply",
        reading: { turbine_id: "q-1", time: NOW + 5000 },
      });
      expect(lines[0].reason).toMatch(/Bad-Name/);
      expect(errors.mock.calls.flat().join(" ")).toMatch(/quarantined reading q-1/);
      // And the store still takes writes and answers reads.
      expect((await server.post({ turbine_id: "q-2", power_kw: 1, wind_speed_ms: 1 })).status).toBe(
        200,
      );
    } finally {
      errors.mockRestore();
      await server.stop();
    }
  });

  it("in a direct group (a gateway's big batch) is quarantined too, and the batch acknowledged", async () => {
    const path = join(dir, "direct", "gust.duckdb");
    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    const errors = quietly();
    try {
      const batch = Array.from({ length: 3000 }, (_, i) => reading("q-3", i * 1000));
      batch[42] = poison("q-3", 42_000);
      expect((await store.write(batch)).every((o) => o === "accepted")).toBe(true);
      const [row] = await store.select("SELECT count(*) AS n FROM readings");
      expect(row?.n).toBe(2999);
      expect(store.quarantinedReadings).toBe(1);
    } finally {
      errors.mockRestore();
      await store.close();
    }
  });
});

describe("an apply that fails with nobody waiting for it", () => {
  it("does not end the process: reads and /healthz answer 503 until the file takes writes again, then every reading is there", async () => {
    const server = await startTestServer();
    const errors = quietly();
    // The disk refuses every insert for a while (fault injected where DuckDB would say so).
    const tables = (server.store as any).parts.tables;
    const original = tables.applyReadings;
    tables.applyReadings = async () => {
      throw new Error("IO Error: No space left on device");
    };
    try {
      for (let round = 0; round < 9; round++) {
        const batch = Array.from({ length: 1900 }, (_, i) =>
          reading("fail-1", round * 1900_000 + i * 1000),
        );
        expect((await server.store.write(batch, Date.now())).every((o) => o === "accepted")).toBe(
          true,
        );
      }
      await (server.store as DuckDbStore).idle();
      const read = await server.get("/v1/turbines/fail-1/measurements");
      expect(read.status).toBe(503);
      expect(read.headers.get("retry-after")).toMatch(/^\d+$/);
      expect((await server.get("/healthz")).status).toBe(503);
      expect(server.store.quarantinedReadings).toBe(0);
      tables.applyReadings = original;
      const [row] = await server.store.select(
        "SELECT count(*) AS n FROM readings WHERE turbine_id = 'fail-1'",
      );
      expect(row?.n).toBe(9 * 1900);
    } finally {
      tables.applyReadings = original;
      errors.mockRestore();
      await server.stop();
    }
  });
});

describe("recovery from the ingest log", () => {
  it("applies what it can, quarantines the rest and names the file and line of each loss", async () => {
    const path = join(dir, "recover", "gust.duckdb");
    const logDir = `${path}.ingest-log`;
    mkdirSync(logDir, { recursive: true });
    const segment = join(logDir, "segment-0000000001.jsonl");
    const damaged = checksummedLine(JSON.stringify([reading("r-1", 2000)])).replace("r-1", "r-X");
    writeFileSync(
      segment,
      [
        checksummedLine(JSON.stringify([reading("r-1", 1000)])),
        damaged,
        checksummedLine(JSON.stringify([{ hello: "world" }, reading("r-1", 3000)])),
        checksummedLine(JSON.stringify({ not: "a list" })),
        checksummedLine(JSON.stringify([poison("r-1", 4000), reading("r-1", 5000)])),
        // An older release's line, without a checksum.
        `${JSON.stringify([reading("r-1", 6000)])}\n`,
        // A crash while writing the last line: never acknowledged.
        checksummedLine(JSON.stringify([reading("r-1", 7000)])).slice(0, 40),
      ].join(""),
    );
    const errors = quietly();
    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    try {
      expect(store.recovery.problems.map(({ file, line, kind }) => ({ file, line, kind }))).toEqual(
        [
          { file: segment, line: 2, kind: "lost" },
          { file: segment, line: 3, kind: "refused" },
          { file: segment, line: 4, kind: "refused" },
          { file: segment, line: 7, kind: "torn" },
        ],
      );
      expect(store.recovery.problems[0]?.reason).toMatch(/checksum/);
      const rows = await store.select(
        `SELECT epoch_ms(time) - ${NOW} AS t FROM readings ORDER BY time`,
      );
      expect(rows.map((r) => r.t)).toEqual([1000, 3000, 5000, 6000]);
      expect(store.recovery.applied).toBe(4);
      expect(store.recovery.quarantined).toBe(1);
      const quarantined = readFileSync(`${path}.quarantine.jsonl`, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(quarantined.map((q) => [q.line, q.reading ? "reading" : "raw"])).toEqual([
        [2, "raw"],
        [3, "raw"],
        [4, "raw"],
        [5, "reading"],
      ]);
      expect(quarantined.every((q) => q.file === segment && q.source === "recovery")).toBe(true);
      expect(store.quarantinedReadings).toBe(4);
    } finally {
      errors.mockRestore();
      await store.close();
    }
  });
});

describe("the DuckDB file deleted under a running server", () => {
  it("stops acknowledging: writes, reads and /healthz answer 503, and the process stays up", async () => {
    const clock = new ManualClock(Date.now());
    const server = await startTestServer({ clock });
    const errors = quietly();
    try {
      expect((await server.get("/healthz")).status).toBe(200);
      expect(
        (await server.post({ turbine_id: "del-1", power_kw: 1, wind_speed_ms: 1 })).status,
      ).toBe(200);
      unlinkSync(join(server.dataDir, "gust.duckdb"));
      // At once, not when the cached store check runs out.
      expect((await server.get("/healthz")).status).toBe(503);
      const write = await server.post({ turbine_id: "del-1", power_kw: 2, wind_speed_ms: 1 });
      expect(write.status).toBe(503);
      expect(write.headers.get("retry-after")).toBe("60");
      // A logged write waiting for its apply when the file went: the apply fails with nobody
      // waiting, and the server stays up.
      await clock.advance(APPLY_AFTER_MS);
      await (server.store as DuckDbStore).idle();
      expect((await server.get("/v1/turbines/del-1/measurements")).status).toBe(503);
      expect((await server.get("/healthz")).status).toBe(503);
      expect(errors.mock.calls.flat().join(" ")).toMatch(/gust\.duckdb was deleted/);
    } finally {
      errors.mockRestore();
      await server.stop();
    }
  });

  it("notices the ingest log's directory deleted too, and a clean stop keeps what it took", async () => {
    const dataDir = mkdtempSync(join(dir, "log-dir-"));
    const server = await startTestServer({ dataDir });
    const errors = quietly();
    try {
      const first = await server.post({ turbine_id: "logdir-1", power_kw: 1, wind_speed_ms: 1 });
      expect(first.status).toBe(200);
      expect((await server.get("/healthz")).status).toBe(200);
      rmSync(join(dataDir, "gust.duckdb.ingest-log"), { recursive: true, force: true });
      expect((await server.get("/healthz")).status).toBe(503);
      const write = await server.post({ turbine_id: "logdir-1", power_kw: 2, wind_speed_ms: 1 });
      expect(write.status).toBe(503);
      expect(write.headers.get("retry-after")).toBe("60");
      const health = await server.get("/healthz");
      expect(health.status).toBe(503);
      expect(errors.mock.calls.flat().join(" ")).toMatch(
        /ingest log directory .* was deleted .* Stop gust cleanly/,
      );
    } finally {
      errors.mockRestore();
      await server.stop();
    }
    // The acknowledged reading was still in memory: the clean stop put it in the file.
    const again = await startTestServer({ dataDir });
    try {
      expect((await again.stored("logdir-1")).map((r) => r.power_kw)).toEqual([1]);
      expect(
        (await again.post({ turbine_id: "logdir-1", power_kw: 3, wind_speed_ms: 1 })).status,
      ).toBe(200);
    } finally {
      await again.stop();
    }
  });

  it("notices a replaced file as well", async () => {
    const path = join(dir, "replaced", "gust.duckdb");
    const store = await openDuckDbStore({ path, writeWindow: WINDOW });
    const errors = quietly();
    try {
      unlinkSync(path);
      writeFileSync(path, "not the same file");
      await expect(store.write([reading("rep-1", 0)])).rejects.toThrow(/replaced/);
    } finally {
      errors.mockRestore();
      await store.close();
    }
  });
});

describe("a DuckDB file that cannot be opened", () => {
  it("says what is wrong with it and what to do", async () => {
    const path = join(dir, "not-a-database", "gust.duckdb");
    mkdirSync(join(dir, "not-a-database"));
    writeFileSync(path, "a file of another kind".repeat(500));
    await expect(openDuckDbStore({ path, writeWindow: WINDOW })).rejects.toThrow(
      /gust\.duckdb: it is not a DuckDB database .* Move it aside/,
    );
    const directory = join(dir, "a-directory", "gust.duckdb");
    mkdirSync(directory, { recursive: true });
    await expect(openDuckDbStore({ path: directory, writeWindow: WINDOW })).rejects.toThrow(
      /a directory has its name/,
    );
  });
});
