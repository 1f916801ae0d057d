// Ingest over InfluxDB: gust with STORE=influxdb (keys, validation, identity lookups, then line
// protocol) against InfluxDB alone (the same readings as line protocol straight to its /write),
// and gust over DuckDB, in one run on a real influxd (test/support/influxdb.ts). The ratio of
// gust over InfluxDB to InfluxDB alone is what gust's contract costs in front of InfluxDB.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startInfluxDb } from "../support/influxdb.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { measureInfluxAlone } from "./influxdb-peer.ts";
import { BATCH, describe, meanOf, measure, SECRET, startChild, stop } from "./ingest.ts";
import type { LoadResult } from "./load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 64;
const start = Date.now() - 2 * 86_400_000;
function readingJson(k: number, fleet: string): string {
  const time = start + Math.floor(k / 770) * 1000;
  return `{"turbine_id":"${fleet}-${k % 770}","time":${time},"power_kw":1234.5,"wind_speed_ms":9.1,"status":"producing"}`;
}

function batchJson(n: number, fleet: string): string {
  const readings: string[] = [];
  for (let i = 0; i < BATCH; i++) readings.push(readingJson(n * BATCH + i, fleet));
  return `{"readings":[${readings.join(",")}]}`;
}

export const bench: Benchmark = async (log) => {
  const dataDir = mkdtempSync(join(tmpdir(), "gust-bench-influx-"));
  const duckDir = mkdtempSync(join(tmpdir(), "gust-bench-duck-"));
  const influx = await startInfluxDb();
  try {
    await influx.createDatabase("alone");
    await influx.createDatabase("gust");
    const gust = await startChild(["api/serve.ts"], {
      DATA_DIR: dataDir,
      PORT: "0",
      API_KEY_SECRET: SECRET,
      STORE: "influxdb",
      INFLUXDB_URL: influx.url,
      INFLUXDB_DATABASE: "gust",
    });
    const duck = await startChild(["api/serve.ts"], {
      DATA_DIR: duckDir,
      PORT: "0",
      API_KEY_SECRET: SECRET,
    });
    const body = (n: number, fleet?: string) => batchJson(n, fleet ?? "bench");
    // Turns, twice, so that a noisy moment on this shared machine does not decide the ratio.
    const alone: LoadResult[] = [];
    const overInflux: LoadResult[] = [];
    const overDuck: LoadResult[] = [];
    for (const round of ["bench", "again"]) {
      log(
        `ingest over InfluxDB: ${BATCH} readings/request, ${CONNECTIONS} connections, ${SECONDS} s...`,
      );
      alone.push(
        await measureInfluxAlone({
          url: influx.url,
          database: "alone",
          perRequest: BATCH,
          start,
          fleet: round,
          connections: CONNECTIONS,
          seconds: SECONDS,
        }),
      );
      log(`  InfluxDB alone (line protocol): ${describe(alone.at(-1) as LoadResult, BATCH)}`);
      overInflux.push(await measure(gust.url, body, round));
      log(`  gust over InfluxDB: ${describe(overInflux.at(-1) as LoadResult, BATCH)}`);
      overDuck.push(await measure(duck.url, body, round));
      log(`  gust over DuckDB: ${describe(overDuck.at(-1) as LoadResult, BATCH)}`);
    }
    await Promise.all([stop(gust.child), stop(duck.child)]);
    const [a, g, d] = [meanOf(alone), meanOf(overInflux), meanOf(overDuck)];
    const figures: BenchFigure[] = [
      {
        name: `InfluxDB alone, line protocol, ${BATCH} readings/request`,
        value: a.requestsPerSecond * BATCH,
        unit: "readings/s",
      },
      {
        name: `gust over InfluxDB, ${BATCH} readings/request`,
        value: g.requestsPerSecond * BATCH,
        unit: "readings/s",
        ratio: { value: g.requestsPerSecond / a.requestsPerSecond, of: "InfluxDB alone" },
      },
      {
        name: `gust over DuckDB, ${BATCH} readings/request (same run)`,
        value: d.requestsPerSecond * BATCH,
        unit: "readings/s",
        ratio: { value: d.requestsPerSecond / a.requestsPerSecond, of: "InfluxDB alone" },
      },
      { name: "gust over InfluxDB, p50 latency", value: g.p50Ms, unit: "ms" },
      { name: "gust over InfluxDB, p99 latency", value: g.p99Ms, unit: "ms" },
    ];
    return figures;
  } finally {
    await influx.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(duckDir, { recursive: true, force: true });
  }
};
