// Ingest throughput: gust (durable writes to the embedded store) against two ceilings: a bare
// node:http server that only parses the JSON, and the gust app over a store that keeps nothing.
// Each runs in a child process of its own so the load generator here does not share their event
// loop (it does share the machine's cores).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { roleKey } from "../../api/auth/keys.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { type LoadResult, runLoad } from "./load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 64;
export const BATCH = 500;
export const SECRET = "bench-secret-0123456789abcdef";

export async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/(http:\/\/127\.0\.0\.1:\d+)/);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
  return { child, url };
}

export async function stop(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

// Every request carries new readings (distinct times), so the store really commits them. Bodies
// are built from a template, not JSON.stringify, to keep the load generator's own CPU cost low.
const start = Date.now() - 3 * 86_400_000;
const TAGS = '{"project":"Bench Park","province":"Flevoland","model":"V112"}';
function readingJson(k: number, offsetMs: number, fleet = "bench"): string {
  const time = start + offsetMs + Math.floor(k / 770) * 1000;
  return `{"turbine_id":"${fleet}-${k % 770}","time":${time},"power_kw":1234.5,"wind_speed_ms":9.1,"status":"producing","tags":${TAGS}}`;
}
const singleBody = (n: number, fleet?: string) => readingJson(n, 0, fleet);
function batchBody(n: number, fleet?: string): string {
  const readings: string[] = [];
  for (let i = 0; i < BATCH; i++) readings.push(readingJson(n * BATCH + i, 86_400_000, fleet));
  return `{"readings":[${readings.join(",")}]}`;
}

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
  try {
    const bare = await startChild(["test/bench/bare-ceiling-server.ts"], {});
    const appOnly = await startChild(["test/bench/app-ceiling-server.ts"], {
      API_KEY_SECRET: SECRET,
    });
    const gust = await startChild(["api/serve.ts"], {
      DATA_DIR: dataDir,
      PORT: "0",
      API_KEY_SECRET: SECRET,
    });
    // Single readings: bare, the app alone and gust take turns, twice, so that a noisy moment on
    // this shared machine does not decide the ratio; each figure is the mean of its two runs.
    const bareRuns: LoadResult[] = [];
    const appRuns: LoadResult[] = [];
    const gustRuns: LoadResult[] = [];
    for (const round of ["bench", "again"]) {
      log(
        `ingest: 1 reading/request, ${CONNECTIONS} connections, ${SECONDS} s, bare node:http, the app alone, gust...`,
      );
      bareRuns.push(await measure(bare.url, singleBody, round));
      log(`  bare: ${describe(bareRuns.at(-1) as LoadResult, 1)}`);
      appRuns.push(await measure(appOnly.url, singleBody, round));
      log(`  gust app, store keeps nothing: ${describe(appRuns.at(-1) as LoadResult, 1)}`);
      gustRuns.push(await measure(gust.url, singleBody, round));
      log(`  gust: ${describe(gustRuns.at(-1) as LoadResult, 1)}`);
    }
    const bareSingle = meanOf(bareRuns);
    const single = meanOf(gustRuns);
    const appSingle = meanOf(appRuns);
    log(`ingest: ${BATCH} readings/request, bare node:http, the app alone, then gust...`);
    const bareBatch = await measure(bare.url, batchBody);
    log(`  bare: ${describe(bareBatch, BATCH)}`);
    const appBatch = await measure(appOnly.url, batchBody);
    log(`  gust app, store keeps nothing: ${describe(appBatch, BATCH)}`);
    const batch = await measure(gust.url, batchBody);
    log(`  gust: ${describe(batch, BATCH)}`);
    await Promise.all([stop(bare.child), stop(appOnly.child), stop(gust.child)]);

    const singleRatio = single.requestsPerSecond / bareSingle.requestsPerSecond;
    const batchRate = batch.requestsPerSecond * BATCH;
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
        target: { text: ">= 50% of ceiling", met: singleRatio >= 0.5 },
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
        ratio: { value: batch.requestsPerSecond / bareBatch.requestsPerSecond, of: "bare ceiling" },
        target: { text: ">= 300,000 readings/s", met: batchRate >= 300_000 },
      },
      { name: `ingest ${BATCH} readings/request, p50 latency`, value: batch.p50Ms, unit: "ms" },
      { name: `ingest ${BATCH} readings/request, p99 latency`, value: batch.p99Ms, unit: "ms" },
    ];
    return figures;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
};
