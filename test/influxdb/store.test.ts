// The InfluxDB store on a real influxd: what its answers mean without a read before the write
// (InfluxDB's own rule: the same series and time overwrites; the contract's rules within one
// request), corrections that InfluxDB would otherwise merge, and an unreachable server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { renderReadingsQuery } from "../../api/queries/readings.ts";
import { queryTarget } from "../../api/queries/sql.ts";
import type { RegisteredTurbine } from "../../api/registry/port.ts";
import { InfluxDbClient } from "../../api/store/influxdb-client.ts";
import { InfluxDbStore } from "../../api/store/influxdb-store.ts";
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

describe("what the answers mean (docs/aws.md, What the counts mean)", () => {
  it("writes without a query; a resend and a different reading are accepted, the last one stored", async () => {
    const target = await freshStore();
    const seen: string[] = [];
    const inner = target as unknown as { options: { client: InfluxDbClient } };
    const query = inner.options.client.query.bind(inner.options.client);
    inner.options.client.query = (text, signal) => {
      seen.push(text);
      return query(text, signal);
    };
    expect(await target.write([reading("A", 0)], T0)).toEqual(["accepted"]);
    expect(await target.write([reading("A", 0)], T0)).toEqual(["accepted"]);
    expect(await target.write([reading("A", 0, { power_kw: 5 })], T0)).toEqual(["accepted"]);
    expect(seen).toEqual([]);
    expect(await points(target, "A")).toMatchObject([{ power_kw: 5, version: 1 }]);
    await target.close();
  });

  it("tells duplicates and conflicts apart within one request, and writes its highest version", async () => {
    const outcomes = await store.write(
      [
        reading("D", 1),
        reading("D", 1),
        reading("D", 1, { power_kw: 7, version: 2 }),
        reading("D", 1, { power_kw: 6 }),
      ],
      T0,
    );
    expect(outcomes).toEqual(["accepted", "duplicate", "accepted", "conflict"]);
    expect(await points(store, "D")).toMatchObject([{ power_kw: 7, version: 2 }]);
  });

  it("a correction replaces the stored reading, in place, its status cleared rather than merged", async () => {
    expect(await store.write([reading("B", 0, { power_kw: 1, status: "fault" })], T0)).toEqual([
      "accepted",
    ]);
    expect(
      await store.write([reading("B", 0, { power_kw: 2, status: null, version: 3 })], T0),
    ).toEqual(["accepted"]);
    const stored = await points(store, "B");
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ power_kw: 2, status: null, version: 3 });
  });

  it("a correction leaves one reading even when the turbine's tags changed (InfluxDB 1.x DELETE)", async () => {
    await store.write([reading("C", 0)], T0);
    const moved = { ...reading("C", 0, { power_kw: 3, version: 2 }), tags: { project: "Elders" } };
    expect(await store.write([moved], T0)).toEqual(["accepted"]);
    const stored = await points(store, "C");
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ power_kw: 3, version: 2, project: "Elders" });
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

  it("tags points with the registry's dimensions", async () => {
    const bare = reading("REG", 0, { tags: {} });
    expect(await store.write([bare], T0, turbines)).toEqual(["accepted"]);
    expect(await store.write([bare], T0, turbines)).toEqual(["accepted"]);
    const [stored, ...more] = await points(store, "REG");
    expect(more).toEqual([]);
    expect(stored).toMatchObject({
      project: "Windpark Krammer",
      model: "E-115",
      province: "Zeeland",
      municipality: "Schouwen-Duiveland",
    });
  });
});

describe("concurrent writers", () => {
  it("racing writes of one identity leave one reading: the same series and time overwrites", async () => {
    const target = await freshStore();
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => target.write([reading("R", 1, { power_kw: i })], T0)),
    );
    expect(outcomes.flat().every((o) => o === "accepted")).toBe(true);
    const stored = await points(target, "R");
    expect(stored).toHaveLength(1);
    await target.close();
  });

  it("disjoint writes run side by side", async () => {
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
