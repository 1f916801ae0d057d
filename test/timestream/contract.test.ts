// One request suite, every store: the embedded DuckDB store (a real file), Timestream (the
// client-mock fake, and the real SDK against the fake on the wire, both with documented
// semantics) and InfluxDB (a real influxd) must give identical answers, except where a cloud
// store promises other counts because it writes without reading first (docs/aws.md, "What the
// counts mean"): each such step says what that store answers instead.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey, turbineKey } from "../../api/auth/keys.ts";
import { duckDbParquetWriter } from "../../api/export/duckdb-parquet.ts";
import { exportPages } from "../../api/queries/export.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import { InfluxDbClient } from "../../api/store/influxdb-client.ts";
import { InfluxDbStore } from "../../api/store/influxdb-store.ts";
import type { ReadingStore } from "../../api/store/port.ts";
import { TimestreamStore } from "../../api/store/timestream-store.ts";
import { type InfluxDbServer, startInfluxDb } from "../support/influxdb.ts";
import { fixedClock } from "../support/manual-clock.ts";
import { createFakeTimestream } from "./fake-timestream.ts";
import { startWireTimestream, type WireTimestream } from "./wire-timestream.ts";

const SECRET = "contract-secret-0123456789";
const NOW = Date.now();
const WINDOW = { maxAgeMs: 24 * 3_600_000, maxFutureMs: 900_000 };
const dir = mkdtempSync(join(tmpdir(), "gust-contract-"));
let duckdb: ReadingStore;
let timestream: ReadingStore;
let influxServer: InfluxDbServer;
let influxdb: ReadingStore;
let wire: WireTimestream;
let timestreamOnTheWire: ReadingStore;

beforeAll(async () => {
  duckdb = await openDuckDbStore({ path: join(dir, "c.duckdb"), writeWindow: WINDOW });
  const fake = createFakeTimestream();
  timestream = new TimestreamStore({
    database: "gust",
    table: "readings",
    writeClient: fake.writeClient,
    queryClient: fake.queryClient,
    writeWindow: WINDOW,
  });
  // The suite reads right after it writes, as DuckDB allows: Timestream's delay before a write
  // is visible is asserted in wire.test.ts.
  wire = await startWireTimestream({ now: () => NOW, visibilityDelayMs: 0 });
  timestreamOnTheWire = new TimestreamStore({
    database: "gust",
    table: "readings",
    writeClient: wire.writeClient(),
    queryClient: wire.queryClient(),
    writeWindow: WINDOW,
  });
  influxServer = await startInfluxDb();
  const database = await influxServer.createDatabase("gust");
  influxdb = new InfluxDbStore({
    client: new InfluxDbClient({ url: influxServer.url, database }),
    writeWindow: WINDOW,
  });
});
afterAll(async () => {
  await duckdb.close();
  await influxdb?.close();
  await timestreamOnTheWire?.close();
  await wire?.close();
  await influxServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const operator = roleKey(SECRET, "operator");
const reading = (turbine: string, minutesAgo: number, extra: object = {}) => ({
  turbine_id: turbine,
  time: NOW - minutesAgo * 60_000,
  power_kw: 1500 + minutesAgo,
  wind_speed_ms: 9,
  status: "producing",
  ...extra,
});

type Body = { accepted: number; duplicates: number; rejected: { index: number }[] };
/** A cloud store's answer where it differs from DuckDB's, from DuckDB's answer. */
type Promised = (duckdb: Body) => Body;
/** A resend across requests: the store cannot tell it from a new reading (an identical write). */
const resendAccepted: Promised = (b) => ({
  ...b,
  accepted: b.accepted + b.duplicates,
  duplicates: 0,
});
/** A reading the store did not compare with the stored one: written (or replaced), accepted. */
const notCompared =
  (index: number): Promised =>
  (b) => ({
    ...b,
    accepted: b.accepted + 1,
    rejected: b.rejected.filter((r) => r.index !== index),
  });

type Step = {
  /** What Timestream and InfluxDB answer instead of DuckDB's answer. */
  promised?: { timestream?: Promised; influxdb?: Promised };
  method: string;
  path: string;
  key?: string | null;
  body?: unknown;
  raw?: Uint8Array | string;
  headers?: Record<string, string>;
};

const SUITE: Step[] = [
  { method: "POST", path: "/v1/measurements", body: reading("c1", 1) },
  {
    method: "POST",
    path: "/v1/measurements",
    body: reading("c1", 1),
    promised: { timestream: resendAccepted, influxdb: resendAccepted },
  },
  {
    // The conflicting reading (index 1) is superseded by version 2 within the request: the cloud
    // stores write only the highest version, which replaces the stored reading.
    promised: { timestream: notCompared(1), influxdb: notCompared(1) },
    method: "POST",
    path: "/v1/measurements",
    body: {
      readings: [
        reading("c1", 2),
        reading("c1", 1, { power_kw: 1 }),
        reading("c1", 1, { power_kw: 7, version: 2 }),
        reading("c1", 60 * 30),
        reading("c1", -60),
      ],
    },
  },
  {
    method: "POST",
    path: "/v1/measurements",
    body: {
      readings: [reading("c2", 3, { status: undefined }), reading("c2", 3, { status: undefined })],
    },
  },
  { method: "POST", path: "/v1/measurements", body: reading("c4", 120) },
  {
    // Timestream rejects a different value at the stored version (ExistingVersion); InfluxDB
    // overwrites it (the same series and time), so the last write is stored there.
    method: "POST",
    path: "/v1/measurements",
    body: reading("c4", 120, { power_kw: 3 }),
    promised: { influxdb: notCompared(0) },
  },
  {
    method: "POST",
    path: "/v1/measurements",
    raw: gzipSync(JSON.stringify(reading("c2", 4))),
    headers: { "content-encoding": "gzip" },
  },
  {
    method: "POST",
    path: "/v1/measurements",
    body: reading("c2", 5),
    key: turbineKey(SECRET, "c1"),
  },
  { method: "POST", path: "/v1/measurements", body: reading("c2", 5), key: null },
  { method: "POST", path: "/v1/measurements", raw: "{oops" },
  {
    method: "POST",
    path: "/v1/measurements",
    body: { readings: [reading("c3", 1, { wind_speed_ms: -1 })] },
  },
  { method: "GET", path: "/v1/turbines/c1/measurements?limit=2", key: roleKey(SECRET, "reader") },
  {
    method: "GET",
    path: `/v1/turbines/c1/measurements?limit=2&from=${NOW - 60_000}`,
    key: roleKey(SECRET, "reader"),
  },
  { method: "GET", path: "/v1/turbines/c2/measurements", key: turbineKey(SECRET, "c2") },
];

async function run(store: ReadingStore, step: Step) {
  const app = createApp({
    store,
    registry: new MemoryRegistry(),
    keySecret: async () => SECRET,
    clock: fixedClock(NOW),
  });
  const headers: Record<string, string> = { "content-type": "application/json", ...step.headers };
  const key = step.key === undefined ? operator : step.key;
  if (key) headers.authorization = `Bearer ${key}`;
  const body = step.method === "GET" ? undefined : (step.raw ?? JSON.stringify(step.body));
  const response = await app.request(step.path, { method: step.method, headers, body });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: (await response.json()) as any,
  };
}

it("answers the same request suite on every store, as each promises", async () => {
  const seen = new Set<string>();
  for (const step of SUITE) {
    const onDuckDb = await run(duckdb, step);
    const expected = { step: `${step.method} ${step.path}`, ...onDuckDb };
    for (const [name, store] of [
      ["timestream", timestream],
      ["timestream on the wire", timestreamOnTheWire],
      ["influxdb", influxdb],
    ] as const) {
      const answer = await run(store, step);
      const promised = step.promised?.[name === "influxdb" ? "influxdb" : "timestream"];
      expect({ store: name, step: `${step.method} ${step.path}`, ...answer }).toEqual({
        store: name,
        ...expected,
        ...(promised ? { body: promised(onDuckDb.body) } : {}),
      });
    }
    seen.add(String(onDuckDb.status));
    for (const rejected of onDuckDb.body.rejected ?? []) seen.add(rejected.reason);
    if (onDuckDb.body.duplicates > 0) seen.add("duplicate");
  }
  // The suite must exercise every kind of answer for the comparison to mean something.
  expect([...seen].sort()).toEqual([
    "200",
    "400",
    "401",
    "403",
    "422",
    "conflict",
    "duplicate",
    "too_new",
    "too_old",
  ]);
});

// The readings export on the stores that evaluate its queries (the Timestream fakes answer only
// the store's own query shapes): the same readings give the same CSV and the same Parquet, and
// paging (keyset on SQL, whole timestamps on InfluxQL) neither loses nor repeats a reading.
const EXPORT_FROM = NOW - 60 * 60_000;
const exportApp = (store: ReadingStore) =>
  createApp({
    store,
    registry: new MemoryRegistry(),
    keySecret: async () => SECRET,
    clock: fixedClock(NOW),
    parquet: duckDbParquetWriter(),
  });

async function exportAnswer(store: ReadingStore, format: "csv" | "parquet") {
  const response = await exportApp(store).request(
    `/v1/readings/export?from=${EXPORT_FROM}&to=${NOW + 60_000}&format=${format}`,
    { headers: { authorization: `Bearer ${roleKey(SECRET, "reader")}` } },
  );
  expect(response.status).toBe(200);
  if (format === "csv") return response.text();
  const dir = mkdtempSync(join(tmpdir(), "gust-contract-parquet-"));
  const instance = await DuckDBInstance.create(":memory:");
  try {
    const path = join(dir, "r.parquet");
    writeFileSync(path, new Uint8Array(await response.arrayBuffer()));
    const reader = await (await instance.connect()).runAndReadAll(
      `SELECT * FROM read_parquet('${path}')`,
    );
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map(String),
      rows: reader.getRowsJS(),
    };
  } finally {
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

it("exports the same readings as the same CSV and Parquet on DuckDB and InfluxDB", async () => {
  // Three turbines at shared timestamps (a page boundary can fall inside one), measures sent by
  // some, a missing status, a status code, a corrected version, and upper case sorting before lower.
  const readings = [];
  for (let minute = 1; minute <= 6; minute++) {
    readings.push(reading("e-b", minute, { measures: { rotor_rpm: 10 + minute } }));
    readings.push(reading("e-a", minute, { status: undefined, status_code: 300 + minute }));
    readings.push(reading("E:c", minute, { measures: { pitch_deg: minute / 2 } }));
  }
  for (const store of [duckdb, influxdb]) {
    for (const body of [{ readings }, reading("e-a", 2, { power_kw: 5, version: 2 })]) {
      const response = await exportApp(store).request("/v1/measurements", {
        method: "POST",
        headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
    }
  }
  const csv = await exportAnswer(duckdb, "csv");
  expect(String(csv).split("\n")[0]).toBe(
    "turbine_id,time,power_kw,wind_speed_ms,status,status_code,version,pitch_deg,rotor_rpm",
  );
  expect(String(csv)).toContain("\nE:c,");
  expect(String(csv).trim().split("\n").length).toBeGreaterThan(18);
  expect(await exportAnswer(influxdb, "csv")).toBe(csv);
  const parquet = await exportAnswer(duckdb, "parquet");
  expect((parquet as { types: string[] }).types.slice(1, 2)).toEqual(["TIMESTAMP WITH TIME ZONE"]);
  expect(await exportAnswer(influxdb, "parquet")).toEqual(parquet);

  const range = { from: EXPORT_FROM, to: NOW + 60_000 };
  const all = async (store: ReadingStore, size: number) => {
    const rows = [];
    for await (const page of exportPages(store, range, ["pitch_deg", "rotor_rpm"], size)) {
      expect(page.length).toBeGreaterThan(0);
      rows.push(...page);
    }
    return rows;
  };
  const whole = await all(duckdb, 1_000);
  expect(whole).toHaveLength(String(csv).trim().split("\n").length - 1);
  for (const size of [1, 2, 4, 7]) {
    expect(await all(duckdb, size)).toEqual(whole);
    expect(await all(influxdb, size)).toEqual(whole);
  }
});
