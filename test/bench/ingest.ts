// Ingest throughput: gust (durable writes to the embedded store) against two ceilings, a bare
// node:http server that only parses the JSON and the gust app over a store that keeps nothing,
// and against a peer: InfluxDB's own /write (Debian influxd, fsync'ed before its 204 as gust's
// log is before its 200) with the same readings as line protocol. Each server runs in a process
// of its own so the load generator here does not share their event loop (it does share the
// machine's cores).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { roleKey } from "../../api/auth/keys.ts";
import { buildNode } from "../../infra/node-build.ts";
import { startInfluxDb } from "../support/influxdb.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { measureInfluxAlone } from "./influxdb-peer.ts";
import { type LoadResult, runLoad } from "./load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 64;
export const BATCH = 500;
export const SECRET = "bench-secret-0123456789abcdef";

let built: Promise<void> | undefined;

/**
 * A server in a process of its own. gust's own entry points (api/) run as production runs them:
 * the build's JavaScript with plain node (infra/node-build.ts), built once a benchmark run; the
 * benchmark's own servers (test/bench) run under tsx.
 */
export async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; mqttUrl?: string }> {
  const [entry = "", ...rest] = args;
  let command: string[];
  if (entry.startsWith("api/")) {
    built ??= buildNode();
    await built;
    command = [join("dist", entry.replace(/\.ts$/, ".js")), ...rest];
  } else {
    command = ["--import", "tsx", ...args];
  }
  const child = spawn(process.execPath, command, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // With MQTT_PORT the server prints its broker's URL on a line after its own.
  const urls = await new Promise<{ url: string; mqttUrl?: string }>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const url = output.match(/(http:\/\/127\.0\.0\.1:\d+)/)?.[1];
      const mqttUrl = output.match(/(mqtt:\/\/127\.0\.0\.1:\d+)/)?.[1];
      if (url && (mqttUrl || !env.MQTT_PORT)) resolve({ url, ...(mqttUrl ? { mqttUrl } : {}) });
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
  return { child, ...urls };
}

export async function stop(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

// Every request carries new readings (distinct times), so the store really commits them. Bodies
// are built from a template, not JSON.stringify, to keep the load generator's own CPU cost low.
const start = Date.now() - 3 * 86_400_000;
const BATCH_OFFSET_MS = 86_400_000;
const MEASURES_OFFSET_MS = 2 * 86_400_000;
// A SCADA reading's 20 channels (README's vocabulary and 10-minute statistics), for the cost of
// wide readings against plain ones.
export const TWENTY_MEASURES: Record<string, number> = {
  rotor_speed_rpm: 14.2,
  generator_speed_rpm: 1480.5,
  pitch_angle_deg: 1.5,
  wind_direction_deg: 231.4,
  nacelle_direction_deg: 229.8,
  yaw_error_deg: 1.6,
  ambient_temperature_c: 8.4,
  ambient_pressure_hpa: 1012.3,
  energy_counter_kwh: 18234567.5,
  gearbox_temperature_c: 61.2,
  generator_temperature_c: 72.9,
  nacelle_temperature_c: 24.1,
  power_kw_min: 980.1,
  power_kw_max: 1502.3,
  power_kw_std: 112.4,
  wind_speed_ms_min: 7.9,
  wind_speed_ms_max: 10.8,
  wind_speed_ms_std: 0.7,
  rotor_speed_rpm_min: 13.1,
  rotor_speed_rpm_max: 15.0,
};
const MEASURES_JSON = JSON.stringify(TWENTY_MEASURES);
function readingJson(k: number, offsetMs: number, fleet = "bench", measures = ""): string {
  const time = start + offsetMs + Math.floor(k / 770) * 1000;
  return `{"turbine_id":"${fleet}-${k % 770}","time":${time},"power_kw":1234.5,"wind_speed_ms":9.1,"status":"producing"${measures}}`;
}
const singleBody = (n: number, fleet?: string) => readingJson(n, 0, fleet);
function batchOf(n: number, offsetMs: number, fleet: string | undefined, measures: string): string {
  const readings: string[] = [];
  for (let i = 0; i < BATCH; i++)
    readings.push(readingJson(n * BATCH + i, offsetMs, fleet, measures));
  return `{"readings":[${readings.join(",")}]}`;
}
export const batchBody = (n: number, fleet?: string) => batchOf(n, BATCH_OFFSET_MS, fleet, "");
export const wideBatchBody = (n: number, fleet?: string) =>
  batchOf(n, MEASURES_OFFSET_MS, fleet, `,"measures":${MEASURES_JSON}`);

export function meanOf(runs: LoadResult[]): LoadResult {
  const mean = (pick: (r: LoadResult) => number) =>
    runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
  return {
    requests: mean((r) => r.requests),
    seconds: mean((r) => r.seconds),
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    p50Ms: mean((r) => r.p50Ms),
    p99Ms: mean((r) => r.p99Ms),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
  };
}

export async function measure(
  url: string,
  body: (n: number, fleet?: string) => string,
  fleet = "bench",
): Promise<LoadResult> {
  const headers = {
    authorization: `Bearer ${roleKey(SECRET, "operator")}`,
    "content-type": "application/json",
  };
  // A short warm-up lets the JIT and the store settle before the measured run. It sends other
  // turbines, so that the measured readings still arrive forward in time per turbine, as
  // turbines send them.
  await runLoad({
    url,
    path: "/v1/measurements",
    headers,
    connections: CONNECTIONS,
    seconds: 1,
    body: (n) => body(n, `${fleet}-warmup`),
  });
  return runLoad({
    url,
    path: "/v1/measurements",
    headers,
    connections: CONNECTIONS,
    seconds: SECONDS,
    body: (n) => body(n, fleet),
  });
}

export function describe(result: LoadResult, perRequest: number): string {
  return `${Math.round(result.requestsPerSecond * perRequest).toLocaleString("en")} readings/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ${result.failures} failed`;
}

export const bench: Benchmark = async (log) => {
  const dataDir = mkdtempSync(join(tmpdir(), "gust-bench-"));
  const influx = await startInfluxDb();
  try {
    const influxDatabase = await influx.createDatabase("peer");
    const influxAlone = (perRequest: number, offsetMs: number, fleet: string) =>
      measureInfluxAlone({
        url: influx.url,
        database: influxDatabase,
        perRequest,
        start: start + offsetMs,
        fleet,
        connections: CONNECTIONS,
        seconds: SECONDS,
      });
    const bare = await startChild(["test/bench/bare-ceiling-server.ts"], {});
    const appOnly = await startChild(["test/bench/app-ceiling-server.ts"], {
      API_KEY_SECRET: SECRET,
    });
    const appWithoutLive = await startChild(["test/bench/app-ceiling-server.ts"], {
      API_KEY_SECRET: SECRET,
      LIVE_HOOKS: "false",
    });
    const gust = await startChild(["api/serve.ts"], {
      DATA_DIR: dataDir,
      PORT: "0",
      API_KEY_SECRET: SECRET,
    });
    const noLiveDir = join(dataDir, "without-live");
    const gustWithoutLive = await startChild(["test/bench/gust-without-live-server.ts"], {
      DATA_DIR: noLiveDir,
      API_KEY_SECRET: SECRET,
    });
    // Single readings: bare, the app alone and gust take turns, twice, so that a noisy moment on
    // this shared machine does not decide the ratio; each figure is the mean of its two runs.
    const bareRuns: LoadResult[] = [];
    const appRuns: LoadResult[] = [];
    const gustRuns: LoadResult[] = [];
    const influxRuns: LoadResult[] = [];
    for (const round of ["bench", "again"]) {
      log(
        `ingest: 1 reading/request, ${CONNECTIONS} connections, ${SECONDS} s, bare node:http, the app alone, gust, InfluxDB...`,
      );
      bareRuns.push(await measure(bare.url, singleBody, round));
      log(`  bare: ${describe(bareRuns.at(-1) as LoadResult, 1)}`);
      appRuns.push(await measure(appOnly.url, singleBody, round));
      log(`  gust app, store keeps nothing: ${describe(appRuns.at(-1) as LoadResult, 1)}`);
      gustRuns.push(await measure(gust.url, singleBody, round));
      log(`  gust: ${describe(gustRuns.at(-1) as LoadResult, 1)}`);
      influxRuns.push(await influxAlone(1, 0, round));
      log(`  InfluxDB /write: ${describe(influxRuns.at(-1) as LoadResult, 1)}`);
    }
    const bareSingle = meanOf(bareRuns);
    const single = meanOf(gustRuns);
    const appSingle = meanOf(appRuns);
    const influxSingle = meanOf(influxRuns);
    // Batches: every server takes its turn twice, in the same order (new turbines the second
    // time), and each figure is the mean of its two runs, so that a noisy moment on this shared
    // machine does not decide a ratio. Plain readings first, into a store without measure
    // columns; then 20-measure readings, taking turns with the app ceiling (gust cannot store
    // them faster than its app takes them over a store that keeps nothing) and with plain
    // readings again, which now go into a table with the 20 measure columns, as a fleet's
    // readings do once any turbine sent measures.
    const runs = {
      bare: [] as LoadResult[],
      app: [] as LoadResult[],
      appWithoutLive: [] as LoadResult[],
      gust: [] as LoadResult[],
      gustWithoutLive: [] as LoadResult[],
      influx: [] as LoadResult[],
      appWide: [] as LoadResult[],
      gustWide: [] as LoadResult[],
      gustAfterWide: [] as LoadResult[],
    };
    const turn = async (
      into: LoadResult[],
      what: string,
      run: () => Promise<LoadResult>,
    ): Promise<void> => {
      into.push(await run());
      log(`  ${what}: ${describe(into.at(-1) as LoadResult, BATCH)}`);
    };
    for (const round of ["bench", "again"]) {
      log(
        `ingest: ${BATCH} readings/request, bare node:http, the app alone (with and without the live and alarm hooks), gust (with and without them), InfluxDB...`,
      );
      await turn(runs.bare, "bare", () => measure(bare.url, batchBody, round));
      await turn(runs.app, "gust app, store keeps nothing", () =>
        measure(appOnly.url, batchBody, round),
      );
      await turn(
        runs.appWithoutLive,
        "gust app without the live and alarm hooks, store keeps nothing",
        () => measure(appWithoutLive.url, batchBody, round),
      );
      await turn(runs.gust, "gust", () => measure(gust.url, batchBody, round));
      await turn(runs.gustWithoutLive, "gust without the live and alarm hooks", () =>
        measure(gustWithoutLive.url, batchBody, round),
      );
      await turn(runs.influx, "InfluxDB /write", () => influxAlone(BATCH, BATCH_OFFSET_MS, round));
    }
    for (const round of ["bench", "again"]) {
      log(
        `ingest: ${BATCH} readings/request with 20 measures each, the app alone and gust, then plain readings into gust's measure columns...`,
      );
      await turn(runs.appWide, "gust app, store keeps nothing, 20 measures a reading", () =>
        measure(appOnly.url, wideBatchBody, round),
      );
      await turn(runs.gustWide, "gust, 20 measures a reading", () =>
        measure(gust.url, wideBatchBody, round),
      );
      await turn(runs.gustAfterWide, "gust, plain readings, the table has 20 measure columns", () =>
        measure(gust.url, batchBody, `${round}-after-wide`),
      );
    }
    const bareBatch = meanOf(runs.bare);
    const appBatch = meanOf(runs.app);
    const appBatchWithoutLive = meanOf(runs.appWithoutLive);
    const batch = meanOf(runs.gust);
    const withoutLive = meanOf(runs.gustWithoutLive);
    const influxBatch = meanOf(runs.influx);
    const appWideBatch = meanOf(runs.appWide);
    const wideBatch = meanOf(runs.gustWide);
    const afterWide = meanOf(runs.gustAfterWide);
    await Promise.all([
      stop(bare.child),
      stop(appOnly.child),
      stop(appWithoutLive.child),
      stop(gust.child),
      stop(gustWithoutLive.child),
    ]);

    const singleRatio = single.requestsPerSecond / bareSingle.requestsPerSecond;
    const singleVsInflux = single.requestsPerSecond / influxSingle.requestsPerSecond;
    const batchRate = batch.requestsPerSecond * BATCH;
    const batchVsInflux = batch.requestsPerSecond / influxBatch.requestsPerSecond;
    const batchVsApp = batch.requestsPerSecond / appBatch.requestsPerSecond;
    const wideCost = batch.requestsPerSecond / wideBatch.requestsPerSecond;
    // gust cannot take 20-measure readings faster than its app does over a store that keeps
    // nothing, so gust's plain rate over that one is the least the wide cost can come to.
    const leastWideCost = batch.requestsPerSecond / appWideBatch.requestsPerSecond;
    const figures: BenchFigure[] = [
      {
        name: "bare node:http ceiling, 1 reading/request",
        value: bareSingle.requestsPerSecond,
        unit: "readings/s",
      },
      {
        name: "ingest 1 reading/request, 64 connections",
        value: single.requestsPerSecond,
        unit: "readings/s",
        ratio: { value: singleRatio, of: "bare ceiling" },
        target: { text: ">= 60% of bare ceiling", met: singleRatio >= 0.6 },
      },
      {
        name: "InfluxDB /write, 1 point/request (peer)",
        value: influxSingle.requestsPerSecond,
        unit: "readings/s",
      },
      {
        name: "ingest 1 reading/request against InfluxDB",
        value: single.requestsPerSecond,
        unit: "readings/s",
        ratio: { value: singleVsInflux, of: "InfluxDB /write" },
        target: { text: ">= 1.2x InfluxDB", met: singleVsInflux >= 1.2 },
      },
      {
        name: "gust app, store that keeps nothing, 1 reading/request",
        value: appSingle.requestsPerSecond,
        unit: "readings/s",
        ratio: {
          value: appSingle.requestsPerSecond / bareSingle.requestsPerSecond,
          of: "bare ceiling",
        },
      },
      { name: "ingest 1 reading/request, p50 latency", value: single.p50Ms, unit: "ms" },
      { name: "ingest 1 reading/request, p99 latency", value: single.p99Ms, unit: "ms" },
      {
        name: `bare node:http ceiling, ${BATCH} readings/request`,
        value: bareBatch.requestsPerSecond * BATCH,
        unit: "readings/s",
      },
      {
        name: `gust app, store that keeps nothing, ${BATCH} readings/request`,
        value: appBatch.requestsPerSecond * BATCH,
        unit: "readings/s",
        ratio: {
          value: appBatch.requestsPerSecond / bareBatch.requestsPerSecond,
          of: "bare ceiling",
        },
      },
      {
        name: `ingest ${BATCH} readings/request, 64 connections`,
        value: batchRate,
        unit: "readings/s",
        ratio: { value: batchVsApp, of: "app ceiling" },
        target: { text: ">= 60% of the app ceiling", met: batchVsApp >= 0.6 },
      },
      {
        name: `gust app without the live and alarm hooks, store that keeps nothing, ${BATCH} readings/request`,
        value: appBatchWithoutLive.requestsPerSecond * BATCH,
        unit: "readings/s",
        ratio: {
          value: batch.requestsPerSecond / appBatchWithoutLive.requestsPerSecond,
          of: "it for gust (the ceiling without the hooks)",
        },
      },
      {
        name: `InfluxDB /write, ${BATCH} points/request (peer)`,
        value: influxBatch.requestsPerSecond * BATCH,
        unit: "readings/s",
      },
      {
        name: `ingest ${BATCH} readings/request against InfluxDB`,
        value: batchRate,
        unit: "readings/s",
        ratio: { value: batchVsInflux, of: "InfluxDB /write" },
        target: { text: ">= 2x InfluxDB", met: batchVsInflux >= 2 },
      },
      {
        name: `ingest ${BATCH} readings/request with 20 measures each`,
        value: wideBatch.requestsPerSecond * BATCH,
        unit: "readings/s",
      },
      {
        name: "cost of a 20-measure reading against a plain one",
        value: wideCost,
        unit: "x",
        target: { text: "<= 2x", met: wideCost <= 2 },
      },
      {
        name: `gust app, store that keeps nothing, ${BATCH} readings/request with 20 measures each`,
        value: appWideBatch.requestsPerSecond * BATCH,
        unit: "readings/s",
      },
      {
        name: "least cost of a 20-measure reading (gust's plain rate over the app's 20-measure rate, store keeping nothing)",
        value: leastWideCost,
        unit: "x",
      },
      {
        name: `ingest ${BATCH} plain readings/request into a table with 20 measure columns`,
        value: afterWide.requestsPerSecond * BATCH,
        unit: "readings/s",
        ratio: {
          value: afterWide.requestsPerSecond / batch.requestsPerSecond,
          of: "plain readings into a table without them",
        },
      },
      {
        name: `ingest ${BATCH} readings/request, live view and alarms fed`,
        value: batchRate,
        unit: "readings/s",
        ratio: {
          value: batch.requestsPerSecond / withoutLive.requestsPerSecond,
          of: "gust without those hooks",
        },
      },
      { name: `ingest ${BATCH} readings/request, p50 latency`, value: batch.p50Ms, unit: "ms" },
      { name: `ingest ${BATCH} readings/request, p99 latency`, value: batch.p99Ms, unit: "ms" },
    ];
    return figures;
  } finally {
    await influx.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
