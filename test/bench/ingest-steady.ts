// Ingest in steady state: a user's store is never fresh. gust's embedded store and InfluxDB's
// /write (Debian influxd 1.6, WAL fsync'ed per write) each first hold STEADY_READINGS readings
// (default 10 M; every tenth request's with 20 measures, so gust's table has the 20 measure
// columns), then take turns, twice, at 64 connections: one reading a request, 500 a request, 500
// with 20 measures (InfluxDB: 20 more fields), each turn on the stored turbines at times past what
// they hold. Backfill: 500 a request of readings older than what their turbines hold (between
// stored times, as a gateway catching up after an outage sends them), against live 500s.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { DUCKDB_FILE_NAME, openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { startInfluxDb } from "../support/influxdb.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { influxLines } from "./influxdb-peer.ts";
import { describe, meanOf, measure, SECRET, startChild, stop, TWENTY_MEASURES } from "./ingest.ts";
import { type LoadResult, runLoad } from "./load.ts";

const READINGS = Number(process.env.STEADY_READINGS ?? 10_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 64;
const TURBINES = 770;
const BATCH = 500;
/** The turns' turbines (each turn's fleet and its warm-up's): all of them stored first. */
const FLEETS = ["steady", "steady-warmup", "again", "again-warmup"];
const DAY = 86_400_000;
/** Stored readings: one a second per turbine, ending well before the live turns' times. */
const T0 = Date.now() - 3 * DAY;
const STORED_FROM = T0 - 12 * 3_600_000;
/** Readings a turbine holds: a multiple of 50, so that each fleet's are whole groups of 500. */
const PER_TURBINE = Math.ceil(READINGS / (FLEETS.length * TURBINES) / 50) * 50;
const MEASURES_JSON = JSON.stringify(TWENTY_MEASURES);
const NONE: Record<string, number> = {};

function readingJson(turbine: string, time: number, measures: string): string {
  return `{"turbine_id":"${turbine}","time":${time},"power_kw":1234.5,"wind_speed_ms":9.1,"status":"producing"${measures}}`;
}
/** The n-th request of `per` readings, one a second per turbine from `from`. */
function body(per: number, from: number, measures: string) {
  return (n: number, fleet = "steady") => {
    const readings: string[] = [];
    for (let i = 0; i < per; i++) {
      const k = n * per + i;
      readings.push(
        readingJson(`${fleet}-${k % TURBINES}`, from + Math.floor(k / TURBINES) * 1000, measures),
      );
    }
    return per === 1 ? (readings[0] as string) : `{"readings":[${readings.join(",")}]}`;
  };
}
const single = body(1, T0, "");
const batch = body(BATCH, T0 + DAY, "");
const wide = body(BATCH, T0 + 2 * DAY, `,"measures":${MEASURES_JSON}`);
/** Backfill: half a second after stored times, so each reading is new and older than the last. */
function backfill(n: number, fleet = "steady"): string {
  const readings: string[] = [];
  for (let i = 0; i < BATCH; i++) {
    const k = n * BATCH + i;
    const second = Math.floor(k / TURBINES) % PER_TURBINE;
    readings.push(readingJson(`${fleet}-${k % TURBINES}`, STORED_FROM + second * 1000 + 500, ""));
  }
  return `{"readings":[${readings.join(",")}]}`;
}

/** The stored readings' n-th group of `per`, fleet by fleet; every tenth with 20 measures. */
function storedGroup(n: number, per: number) {
  const perFleet = PER_TURBINE * TURBINES;
  const from = n * per;
  const fleet = FLEETS[Math.floor(from / perFleet)] as string;
  const k = from % perFleet;
  return { fleet, k, measures: n % 10 === 0 ? TWENTY_MEASURES : NONE };
}
const GROUPS = Math.ceil((PER_TURBINE * TURBINES) / BATCH) * FLEETS.length;

async function fillGust(dataDir: string, log: (line: string) => void): Promise<void> {
  const store = await openDuckDbStore({
    path: join(dataDir, DUCKDB_FILE_NAME),
    writeWindow: { maxAgeMs: 30 * DAY, maxFutureMs: 900_000 },
  });
  try {
    let pending: Reading[] = [];
    for (let n = 0; n < GROUPS; n++) {
      const { fleet, k, measures } = storedGroup(n, BATCH);
      for (let i = 0; i < BATCH; i++) {
        pending.push({
          turbine_id: `${fleet}-${(k + i) % TURBINES}`,
          time: STORED_FROM + Math.floor((k + i) / TURBINES) * 1000,
          power_kw: 1234.5,
          wind_speed_ms: 9.1,
          status: "producing",
          status_code: null,
          version: 1,
          measures: { ...measures },
          tags: {},
        });
      }
      if (pending.length >= 16_384 || n === GROUPS - 1) {
        await store.write(pending);
        pending = [];
      }
      if (n % 4000 === 0) log(`  gust: ${(n * BATCH).toLocaleString("en")} readings stored`);
    }
  } finally {
    await store.close();
  }
}

async function fillInflux(url: string, database: string, log: (line: string) => void) {
  let next = 0;
  const worker = async () => {
    while (next < GROUPS) {
      const n = next++;
      const { fleet, k, measures } = storedGroup(n, BATCH);
      const lines = influxLines(k / BATCH, BATCH, STORED_FROM, fleet, measures);
      const answer = await request(`${url}/write?db=${database}&precision=ms`, {
        method: "POST",
        body: lines,
      });
      await answer.body.dump();
      if (answer.statusCode !== 204) throw new Error(`InfluxDB answered ${answer.statusCode}`);
      if (n % 4000 === 0) log(`  InfluxDB: ${(n * BATCH).toLocaleString("en")} readings stored`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

export const bench: Benchmark = async (log) => {
  const dataDir = mkdtempSync(join(tmpdir(), "gust-bench-steady-"));
  const influx = await startInfluxDb();
  try {
    const database = await influx.createDatabase("steady");
    log(`ingest-steady: storing ${READINGS.toLocaleString("en")} readings in each first...`);
    await fillGust(dataDir, log);
    await fillInflux(influx.url, database, log);
    const gust = await startChild(["api/serve.ts"], {
      DATA_DIR: dataDir,
      PORT: "0",
      API_KEY_SECRET: SECRET,
    });
    const influxLoad = (
      per: number,
      from: number,
      fleet: string,
      measures: Record<string, number>,
    ) => {
      const load = {
        url: influx.url,
        path: `/write?db=${database}&precision=ms`,
        headers: { "content-type": "text/plain; charset=utf-8" },
        connections: CONNECTIONS,
      };
      return runLoad({
        ...load,
        seconds: 1,
        body: (n) => influxLines(n, per, from, `${fleet}-warmup`, measures),
      }).then(() =>
        runLoad({
          ...load,
          seconds: SECONDS,
          body: (n) => influxLines(n, per, from, fleet, measures),
        }),
      );
    };
    const runs: Record<string, LoadResult[]> = {};
    const turn = async (name: string, per: number, run: () => Promise<LoadResult>) => {
      const result = await run();
      runs[name] = [...(runs[name] ?? []), result];
      log(`  ${name}: ${describe(result, per)}`);
    };
    for (const fleet of ["steady", "again"]) {
      log(`ingest-steady: turns on the stored turbines (${fleet})...`);
      await turn("gust, 1 a request", 1, () => measure(gust.url, single, fleet));
      await turn("InfluxDB, 1 a request", 1, () => influxLoad(1, T0, fleet, NONE));
      await turn("gust, 500 a request", BATCH, () => measure(gust.url, batch, fleet));
      await turn("InfluxDB, 500 a request", BATCH, () => influxLoad(BATCH, T0 + DAY, fleet, NONE));
      await turn("gust, 500 with 20 measures", BATCH, () => measure(gust.url, wide, fleet));
      await turn("InfluxDB, 500 with 20 fields more", BATCH, () =>
        influxLoad(BATCH, T0 + 2 * DAY, fleet, TWENTY_MEASURES),
      );
      await turn("gust, 500 backfill", BATCH, () => measure(gust.url, backfill, fleet));
    }
    await stop(gust.child);
    const rate = (name: string, per: number) =>
      meanOf(runs[name] as LoadResult[]).requestsPerSecond * per;
    const pair = (what: string, per: number, peer: string): BenchFigure => ({
      name: `steady state, ${what}`,
      value: rate(`gust, ${what}`, per),
      unit: "readings/s",
      ratio: { value: rate(`gust, ${what}`, per) / rate(peer, per), of: peer },
    });
    return [
      pair("1 a request", 1, "InfluxDB, 1 a request"),
      pair("500 a request", BATCH, "InfluxDB, 500 a request"),
      pair("500 with 20 measures", BATCH, "InfluxDB, 500 with 20 fields more"),
      {
        name: "steady state, 500 backfill",
        value: rate("gust, 500 backfill", BATCH),
        unit: "readings/s",
        ratio: {
          value: rate("gust, 500 backfill", BATCH) / rate("gust, 500 a request", BATCH),
          of: "live 500s",
        },
      },
    ];
  } finally {
    await influx.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
