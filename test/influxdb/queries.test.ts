// The same fleet of readings in DuckDB and in a real InfluxDB: the power export (every bin and
// grouping), one turbine's readings and every analysis query must answer alike.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { analyseAll } from "../../api/analyses/run.ts";
import type { TurbineFacts } from "../../api/analyses/scan.ts";
import {
  renderCompletenessQuery,
  renderDataExtentQuery,
  renderPowerCurveQuery,
  renderTurbineSummaryQuery,
} from "../../api/queries/analysis.ts";
import {
  POWER_BINS,
  POWER_GROUPS,
  PROJECT_OR_TURBINE,
  renderPowerQuery,
} from "../../api/queries/power.ts";
import { renderReadingsQuery } from "../../api/queries/readings.ts";
import { renderScadaBinsQuery } from "../../api/queries/scada.ts";
import { queryTarget } from "../../api/queries/sql.ts";
import { renderTurbineStatusQuery } from "../../api/queries/turbine-status.ts";
import { turbineDimensions } from "../../api/registry/dimensions.ts";
import { openDuckDbRegistry } from "../../api/registry/duckdb-registry.ts";
import type { RegisteredTurbine } from "../../api/registry/port.ts";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import { InfluxDbClient } from "../../api/store/influxdb-client.ts";
import { InfluxDbStore } from "../../api/store/influxdb-store.ts";
import type { QueryRow, Reading, ReadingStore } from "../../api/store/port.ts";
import { type InfluxDbServer, startInfluxDb } from "../support/influxdb.ts";

// 35 days across a month boundary, so that monthly bins split.
const FROM = Date.UTC(2026, 8, 20);
const TO = Date.UTC(2026, 9, 25);
const WINDOW = { maxAgeMs: 3650 * 86_400_000, maxFutureMs: 900_000 };
const TURBINES = [
  {
    id: "NH-1",
    tags: {
      project: "Wieringermeer",
      municipality: "Hollands Kroon",
      province: "Noord-Holland",
      rated_kw: "3000",
      lat: "52.8",
      lon: "5.0",
    },
  },
  {
    id: "NH-2",
    tags: {
      project: "Wieringermeer",
      municipality: "Hollands Kroon",
      province: "Noord-Holland",
      rated_kw: "3000",
      lat: "52.8",
      lon: "5.1",
    },
  },
  {
    id: "FL-1",
    tags: {
      project: "Zuidlob",
      municipality: "Zeewolde",
      province: "Flevoland",
      rated_kw: "4200",
      lat: "52.4",
      lon: "5.5",
    },
  },
  {
    id: "GR-1",
    tags: {
      project: "Delfzijl",
      municipality: "Eemsdelta",
      province: "Groningen",
      rated_kw: "2300",
      lat: "53.3",
      lon: "6.9",
    },
  },
  // No registry-like tags at all: null groups and no rated power.
  { id: "X-1", tags: {} as Record<string, string> },
];

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function fleet(): Reading[] {
  const next = random(17);
  const readings: Reading[] = [];
  TURBINES.forEach((turbine, n) => {
    // Each turbine its own interval; some steps skipped, a silent stretch for one of them.
    const step = [10, 10, 15, 30, 20][n] as number;
    for (let time = FROM + n * 60_000; time < TO; time += step * 60_000) {
      if (next() < 0.05) continue;
      if (turbine.id === "GR-1" && time > Date.UTC(2026, 9, 3) && time < Date.UTC(2026, 9, 5))
        continue;
      const wind = Math.round(next() * 2500) / 100;
      const roll = next();
      readings.push({
        turbine_id: turbine.id,
        time,
        power_kw: Math.round(next() * 30_000) / 10,
        wind_speed_ms: wind,
        status: roll < 0.8 ? "producing" : roll < 0.9 ? "idle" : roll < 0.95 ? null : "fault",
        status_code: roll < 0.9 ? null : Math.floor(next() * 500),
        version: 1,
        // Air temperature and pressure on most readings (the analyses normalise wind with them).
        measures:
          next() < 0.9
            ? {
                ambient_temperature_c: Math.round(next() * 300 - 50) / 10,
                ambient_pressure_hpa: Math.round(9800 + next() * 500) / 10,
              }
            : {},
        tags: turbine.tags,
      } as Reading);
    }
  });
  return readings;
}

const dir = mkdtempSync(join(tmpdir(), "gust-influx-queries-"));
let influx: InfluxDbServer;
let duckdb: ReadingStore;
let influxdb: ReadingStore;
let registered: Map<string, RegisteredTurbine>;

beforeAll(async () => {
  influx = await startInfluxDb();
  const embedded = await openDuckDbStore({ path: join(dir, "q.duckdb"), writeWindow: WINDOW });
  duckdb = embedded;
  // DuckDB reads what it groups by from the registry's table (the same fleet, described once).
  const connection = await embedded.connect();
  const registry = await openDuckDbRegistry(connection);
  await registry.putMany(
    TURBINES.filter((t) => t.tags.rated_kw).map((t) => ({
      turbine_id: t.id,
      description: {
        name: null,
        project: t.tags.project ?? null,
        model: null,
        rated_kw: Number(t.tags.rated_kw),
        hub_height_m: null,
        rotor_diameter_m: null,
        latitude: Number(t.tags.lat),
        longitude: Number(t.tags.lon),
        commissioned: null,
        tags: { municipality: t.tags.municipality ?? "", province: t.tags.province ?? "" },
      },
    })),
  );
  // The ingest route passes each request's registry entries; InfluxDB writes their dimensions.
  registered = new Map((await registry.list()).map((t) => [t.turbine_id, t] as const));
  connection.closeSync();
  influxdb = new InfluxDbStore({
    client: new InfluxDbClient({ url: influx.url, database: await influx.createDatabase("q") }),
    writeWindow: WINDOW,
  });
  const readings = fleet();
  for (let start = 0; start < readings.length; start += 4000) {
    const part = readings.slice(start, start + 4000);
    await duckdb.write(part, TO, registered);
    await influxdb.write(part, TO, registered);
  }
}, 120_000);
afterAll(async () => {
  await duckdb?.close();
  await influxdb?.close();
  await influx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Rows equal, numbers to 9 significant digits (sums run in another order). */
function expectSameRows(actual: QueryRow[], expected: QueryRow[], what: string) {
  expect(actual.length, what).toBe(expected.length);
  const round = (row: QueryRow) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [
        k,
        typeof v === "number" ? Number(v.toPrecision(9)) : v,
      ]),
    );
  expect(actual.map(round), what).toEqual(expected.map(round));
}

async function both(render: (target: ReturnType<typeof queryTarget>) => string) {
  return {
    expected: await duckdb.select(render(queryTarget(duckdb))),
    actual: await influxdb.select(render(queryTarget(influxdb))),
  };
}

it("exports power in every bin and grouping as DuckDB does", async () => {
  // A range that starts and ends inside bins, as users ask.
  const range = { from: FROM + 7 * 60_000, to: TO - 3 * 3_600_000 };
  for (const every of POWER_BINS) {
    for (const by of [...POWER_GROUPS, PROJECT_OR_TURBINE]) {
      const { expected, actual } = await both((t) => renderPowerQuery(t, { ...range, every, by }));
      expect(expected.length).toBeGreaterThan(0);
      expectSameRows(actual, expected, `${every} by ${by}`);
    }
  }
});

it("answers a turbine's readings as DuckDB does", async () => {
  const query = {
    turbineId: "FL-1",
    from: FROM + 86_400_000,
    to: FROM + 3 * 86_400_000,
    limit: 50,
  };
  const { expected, actual } = await both((t) => renderReadingsQuery(t, query));
  // InfluxDB answers each point's series tags beside its fields: the registry's dimensions of
  // the turbine (what the ingest route passed). DuckDB keeps no metadata per reading. A column a
  // reading left empty (status_code, a measure) is NULL in DuckDB and absent in InfluxDB:
  // compare what the readings hold.
  const own = ({ tags: _tags, time: _time, ...row }: QueryRow) =>
    Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null));
  const dimensionNames = new Set(
    Object.keys(turbineDimensions(registered.get("FL-1") as RegisteredTurbine)),
  );
  expect(actual).toHaveLength(50);
  for (const row of actual) {
    const dimensions = Object.fromEntries(
      Object.entries(row).filter(([k]) => dimensionNames.has(k)),
    );
    expect(dimensions).toEqual(turbineDimensions(registered.get("FL-1") as RegisteredTurbine));
  }
  expect(
    actual.map((row) =>
      Object.fromEntries(Object.entries(own(row)).filter(([k]) => !dimensionNames.has(k))),
    ),
  ).toEqual(expected.map(own));
});

it("answers every analysis as DuckDB does", async () => {
  const range = { from: FROM + 86_400_000, to: TO - 86_400_000 };
  for (const [name, render] of [
    ["turbine summary", (t: ReturnType<typeof queryTarget>) => renderTurbineSummaryQuery(t, range)],
    ["power curve", (t: ReturnType<typeof queryTarget>) => renderPowerCurveQuery(t, range)],
    ["completeness", (t: ReturnType<typeof queryTarget>) => renderCompletenessQuery(t, range)],
    ["data extent", (t: ReturnType<typeof queryTarget>) => renderDataExtentQuery(t)],
  ] as const) {
    const { expected, actual } = await both(render);
    expect(expected.length, name).toBeGreaterThan(0);
    expectSameRows(actual, expected, name);
  }
});

it("answers the wind analyses' scan, and so every wind analysis, as DuckDB does", async () => {
  const range = { from: FROM + 86_400_000, to: TO - 86_400_000 };
  const measures = await duckdb.measureColumns();
  expect([...(await influxdb.measureColumns())].sort()).toEqual([...measures].sort());
  const order = (rows: QueryRow[]) =>
    [...rows].sort((a, b) =>
      `${a.turbine_id}|${a.status}|${String(a.bin).padStart(6, "0")}`.localeCompare(
        `${b.turbine_id}|${b.status}|${String(b.bin).padStart(6, "0")}`,
      ),
    );
  const bins = await both((t) => renderScadaBinsQuery(t, range, measures));
  expect(bins.expected.length).toBeGreaterThan(100);
  expectSameRows(order(bins.actual), order(bins.expected), "scan bins");

  const facts: TurbineFacts[] = TURBINES.filter((t) => t.tags.rated_kw).map((t) => ({
    turbine_id: t.id,
    project: t.tags.project ?? null,
    model: "V90",
    rated_kw: Number(t.tags.rated_kw),
    tags: t.tags,
  }));
  const onDuckDb = await analyseAll(duckdb, facts, range);
  const onInfluxDb = await analyseAll(influxdb, facts, range);
  expect(onDuckDb.densityNormalised).toBe(true);
  expect(onDuckDb.energy.length).toBeGreaterThan(0);
  const rounded = (value: unknown) =>
    JSON.parse(JSON.stringify(value), (_k, v) =>
      typeof v === "number" ? Number(v.toPrecision(9)) : v,
    );
  expect(rounded(onInfluxDb)).toEqual(rounded(onDuckDb));
});

it("answers the registry listing's view of each turbine (latest reading, last 24 h) as DuckDB does", async () => {
  const now = TO - 3_600_000;
  for (const turbineIds of [undefined, ["NH-1", "X-1"], []]) {
    const query = { now, ...(turbineIds ? { turbineIds } : {}) };
    const { expected, actual } = await both((t) => renderTurbineStatusQuery(t, query));
    const pick = (row: QueryRow) => ({
      turbine_id: row.turbine_id,
      time_ms: row.time_ms,
      power_kw: row.power_kw,
      status: row.status,
      readings_24h: Number(row.readings_24h),
    });
    const sorted = (rows: QueryRow[]) =>
      rows.map(pick).sort((a, b) => String(a.turbine_id).localeCompare(String(b.turbine_id)));
    expect(sorted(actual), JSON.stringify(turbineIds)).toEqual(sorted(expected));
    if (turbineIds?.length !== 0) expect(actual.length).toBeGreaterThan(0);
  }
});
