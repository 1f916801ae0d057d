// The InfluxDB store on a real influxd: gust's identity rules (duplicate, conflict, higher
// version, racing writers), corrections that InfluxDB would otherwise merge or duplicate, and
// an unreachable server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { renderReadingsQuery } from "../../api/queries/readings.ts";
import { queryTarget } from "../../api/queries/sql.ts";
import type { RegisteredTurbine } from "../../api/registry/port.ts";
import { InfluxDbClient } from "../../api/store/influxdb-client.ts";
import { exactlyOneOf, InfluxDbStore } from "../../api/store/influxdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { StoreUnavailableError } from "../../api/store/port.ts";
import { type InfluxDbServer, startInfluxDb } from "../support/influxdb.ts";

const WINDOW = { maxAgeMs: 7 * 86_400_000, maxFutureMs: 900_000 };
const T0 = Date.UTC(2026, 10, 20, 12);
let influx: InfluxDbServer;
let client: InfluxDbClient;
let store: InfluxDbStore;
let databases = 0;

async function freshStore(): Promise<InfluxDbStore> {
  const database = await influx.createDatabase(`s${++databases}`);
  return new InfluxDbStore({
    client: new InfluxDbClient({ url: influx.url, database }),
    writeWindow: WINDOW,
  });
}

beforeAll(async () => {
  influx = await startInfluxDb();
  store = await freshStore();
  client = new InfluxDbClient({ url: influx.url, database: "s1" });
});
afterAll(async () => {
  await store?.close();
  await client?.close();
  await influx?.stop();
});

const reading = (turbine: string, minute: number, extra: Partial<Reading> = {}): Reading =>
  ({
    turbine_id: turbine,
    time: T0 + minute * 60_000,
    power_kw: 1000 + minute,
    wind_speed_ms: 8.5,
    status: "producing",
    status_code: null,
    version: 1,
    measures: {},
    tags: { project: "Noordzee", province: "Zeeland" },
    ...extra,
  }) as Reading;

/** Every point stored for a turbine, however many series hold it. */
async function points(target: InfluxDbStore, turbine: string) {
  return target.select(
    renderReadingsQuery(queryTarget(target), {
      turbineId: turbine,
      from: T0 - 86_400_000,
      to: T0 + 86_400_000,
      limit: 1000,
    }),
  );
}

describe("identity rules", () => {
  it("accepts a new reading, calls an identical resend a duplicate, a different one a conflict", async () => {
    expect(await store.write([reading("A", 0)], T0)).toEqual(["accepted"]);
    expect(await store.write([reading("A", 0)], T0)).toEqual(["duplicate"]);
    expect(await store.write([reading("A", 0, { power_kw: 5 })], T0)).toEqual(["conflict"]);
    expect(await store.write([reading("A", 0, { status: null })], T0)).toEqual(["conflict"]);
    expect(await points(store, "A")).toMatchObject([
      { power_kw: 1000, status: "producing", version: 1 },
    ]);
  });

  it("replaces a reading with a higher version, in place, and refuses a lower one", async () => {
    expect(await store.write([reading("B", 0, { power_kw: 1, status: "fault" })], T0)).toEqual([
      "accepted",
    ]);
    expect(
      await store.write([reading("B", 0, { power_kw: 2, status: null, version: 3 })], T0),
    ).toEqual(["accepted"]);
    expect(await store.write([reading("B", 0, { power_kw: 9, version: 2 })], T0)).toEqual([
      "conflict",
    ]);
    expect(
      await store.write([reading("B", 0, { power_kw: 2, status: null, version: 3 })], T0),
    ).toEqual(["duplicate"]);
    const stored = await points(store, "B");
    // One reading per identity, its status cleared by the correction rather than merged.
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ power_kw: 2, status: null, version: 3 });
  });

  it("writes a correction into the stored point's series even when the turbine's tags changed", async () => {
    await store.write([reading("C", 0)], T0);
    const moved = { ...reading("C", 0, { power_kw: 3, version: 2 }), tags: { project: "Elders" } };
    expect(await store.write([moved], T0)).toEqual(["accepted"]);
    const stored = await points(store, "C");
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ power_kw: 3, version: 2, project: "Noordzee" });
  });

  it("resolves several versions of one reading in one request to the highest", async () => {
    const outcomes = await store.write(
      [
        reading("D", 1),
        reading("D", 1, { power_kw: 7, version: 2 }),
        reading("D", 1, { power_kw: 6 }),
      ],
      T0,
    );
    expect(outcomes).toEqual(["accepted", "accepted", "conflict"]);
    expect(await points(store, "D")).toMatchObject([{ power_kw: 7, version: 2 }]);
  });

  it("clears fields a correction no longer carries (InfluxDB would merge them)", async () => {
    const withExtras = { ...reading("E", 0), status_code: 12, measures: { rotor_speed_rpm: 14 } };
    expect(await store.write([withExtras as Reading], T0)).toEqual(["accepted"]);
    const bare = { ...reading("E", 0, { version: 2 }), status_code: null, measures: {} };
    expect(await store.write([bare as Reading], T0)).toEqual(["accepted"]);
    const [stored, ...more] = await points(store, "E");
    expect(more).toEqual([]);
    expect(stored).toMatchObject({ version: 2 });
    expect(stored).not.toHaveProperty("status_code");
    expect(stored).not.toHaveProperty("rotor_speed_rpm");
  });
});

it("looks up exactly the request's turbines, whatever characters their ids hold", async () => {
  // "." in a regex would match the X: the lookup must escape it.
  expect(await store.write([reading("WTX01:a-b", 0, { power_kw: 1 })], T0)).toEqual(["accepted"]);
  expect(await store.write([reading("WT.01:a-b", 0, { power_kw: 2 })], T0)).toEqual(["accepted"]);
  expect(await store.write([reading("WT.01:a-b", 0, { power_kw: 2 })], T0)).toEqual(["duplicate"]);
  expect(exactlyOneOf(["a.b", "c/d", "e(f)"])).toBe("/^(?:a\\.b|c\\/d|e\\(f\\))$/");
});

describe("registered turbines", () => {
  const registered: RegisteredTurbine = {
    turbine_id: "REG",
    name: null,
    project: "Windpark Krammer",
    model: "E-115",
    rated_kw: 3000,
    hub_height_m: null,
    rotor_diameter_m: null,
    latitude: null,
    longitude: null,
    commissioned: null,
    tags: { province: "Zeeland", municipality: "Schouwen-Duiveland" },
    etag: "1",
    updated_at: 0,
    key_generation: 1,
  };
  const turbines = new Map([["REG", registered]]);

  it("tags points with the registry's dimensions, and tells duplicates from conflicts by content", async () => {
    const bare = reading("REG", 0, { tags: {} });
    expect(await store.write([bare], T0, turbines)).toEqual(["accepted"]);
    expect(await store.write([bare], T0, turbines)).toEqual(["duplicate"]);
    expect(await store.write([{ ...bare, power_kw: 1 }], T0, turbines)).toEqual(["conflict"]);
    const [stored] = await points(store, "REG");
    expect(stored).toMatchObject({
      project: "Windpark Krammer",
      model: "E-115",
      province: "Zeeland",
      municipality: "Schouwen-Duiveland",
    });
  });
});

describe("concurrent writers", () => {
  it("classifies racing requests on one identity in turn: one accepted, the rest duplicates or conflicts", async () => {
    const target = await freshStore();
    const same = Array.from({ length: 8 }, () => target.write([reading("R", 0)], T0));
    const different = Array.from({ length: 8 }, (_, i) =>
      target.write([reading("R", 1, { power_kw: i })], T0),
    );
    const sameOutcomes = (await Promise.all(same)).flat();
    const differentOutcomes = (await Promise.all(different)).flat();
    expect(sameOutcomes.filter((o) => o === "accepted")).toHaveLength(1);
    expect(sameOutcomes.filter((o) => o === "duplicate")).toHaveLength(7);
    expect(differentOutcomes.filter((o) => o === "accepted")).toHaveLength(1);
    expect(differentOutcomes.filter((o) => o === "conflict")).toHaveLength(7);
    // The stored reading is the one that was accepted.
    const winner = differentOutcomes.indexOf("accepted");
    const stored = await points(target, "R");
    expect(stored).toHaveLength(2);
    expect(stored[1]).toMatchObject({ power_kw: winner });
    await target.close();
  });

  it("serializes only overlapping identities: disjoint writes run side by side", async () => {
    const target = await freshStore();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        target.write([reading(`P${i % 5}`, i), reading(`P${i % 5}`, i + 100)], T0),
      ),
    );
    expect(outcomes.flat().every((o) => o === "accepted")).toBe(true);
    const counts = await target.select('SELECT count("power_kw") AS n FROM "readings"');
    expect(counts).toEqual([{ time: 0, n: 40 }]);
    await target.close();
  });
});

describe("an unreachable InfluxDB", () => {
  it("answers 503 with Retry-After on ingest and health, within the request's budget", async () => {
    const gone = new InfluxDbStore({
      client: new InfluxDbClient({ url: "http://127.0.0.1:9", database: "x" }),
      writeWindow: WINDOW,
      budgetMs: 800,
      retry: { baseMs: 10, capMs: 50, marginMs: 100 },
    });
    await expect(gone.write([reading("A", 0)], T0)).rejects.toBeInstanceOf(StoreUnavailableError);
    const app = createApp({
      store: gone,
      keySecret: async () => "s".repeat(32),
    });
    const health = await app.request("/healthz");
    expect(health.status).toBe(503);
    expect(Number(health.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const ingest = await app.request("/v1/measurements", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${roleKey("s".repeat(32), "operator")}`,
      },
      body: JSON.stringify({ turbine_id: "A", time: Date.now(), power_kw: 1, wind_speed_ms: 1 }),
    });
    expect(ingest.status).toBe(503);
    expect(ingest.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(ingest.headers.get("content-type")).toMatch(/problem\+json/);
    await gone.close();
  });

  it("says when the database does not exist", async () => {
    const missing = new InfluxDbStore({
      client: new InfluxDbClient({ url: influx.url, database: "nope" }),
      writeWindow: WINDOW,
    });
    await expect(missing.write([reading("A", 0)], T0)).rejects.toThrow(
      /database not found.*create it/,
    );
    await missing.close();
  });
});

it("lists the measure columns written so far", async () => {
  const target = await freshStore();
  expect([...(await target.measureColumns())]).toEqual([]);
  await target.write([{ ...reading("M", 0), measures: { pitch_angle_deg: 2 } } as Reading], T0);
  expect([...(await target.measureColumns())]).toEqual(["pitch_angle_deg"]);
  await target.close();
});
