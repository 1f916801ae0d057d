// Isolation: does a heavy read stall ingestion? gust (its own process, the embedded store) with
// 100,000 registered turbines that have each sent a reading; steady single-reading ingest at a
// fixed rate (open loop, so a stalled server shows as latency, not as fewer requests) alone, then
// while each heavy read runs: the fleet listing paged, the live snapshot, the availability
// analysis, ten exports at once, the alarm list. Each row: ingest p50/p99 beside the read's time.
// BENCH_TURBINES and BENCH_SECONDS shrink it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { roleKey } from "../../api/auth/keys.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { SECRET, startChild, stop } from "./ingest.ts";

const TURBINES = Number(process.env.BENCH_TURBINES ?? 100_000);
/** Ingest alone is measured this long; each read runs at least this long (repeated). */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** Single-reading requests a second, one every 1000/RATE ms whatever the answers do. */
const RATE = 100;
const TARGET_P99_MS = 100;

const operator = { authorization: `Bearer ${roleKey(SECRET, "operator")}` };
const reader = { authorization: `Bearer ${roleKey(SECRET, "reader")}` };
const json = { "content-type": "application/json" };
const now = Date.now();
const id = (i: number) => `iso-${String(i).padStart(6, "0")}`;

export const bench: Benchmark = async (log) => {
  const dataDir = mkdtempSync(join(tmpdir(), "gust-bench-isolation-"));
  const gust = await startChild(["api/serve.ts"], {
    DATA_DIR: dataDir,
    PORT: "0",
    API_KEY_SECRET: SECRET,
    // The fleet's one reading each would make every turbine silent within minutes, and the
    // alarm storm (its own figure) would be measured instead of the reads.
    ALARM_SILENT_INTERVALS: "100000",
  });
  const pool = new Pool(gust.url, { connections: 16 });
  try {
    await fill(pool, log);
    const figures: BenchFigure[] = [];
    const alone = await steadyIngest(pool, () => wait(SECONDS * 1000));
    log(
      `ingest alone: p50 ${alone.p50.toFixed(1)} ms, p99 ${alone.p99.toFixed(1)} ms, ${alone.failures} of ${alone.requests} not 200`,
    );
    figures.push(
      { name: "single-reading ingest alone, p50", value: alone.p50, unit: "ms" },
      { name: "single-reading ingest alone, p99", value: alone.p99, unit: "ms" },
    );
    let refusedExports = 0;
    const to = new Date(now + 60_000).toISOString();
    const from = new Date(now - 86_400_000).toISOString();
    const reads: [string, () => Promise<unknown>][] = [
      ["GET /v1/turbines?limit=1000, 5 pages", () => pages(pool, 5)],
      ["GET /v1/live/snapshot", () => get(pool, "/v1/live/snapshot")],
      [
        "GET /v1/analyses/availability (1 day)",
        () => get(pool, `/v1/analyses/availability?from=${from}&to=${to}`),
      ],
      [
        "10 concurrent GET /v1/readings/export (1 day, CSV)",
        async () => {
          // Beyond the server's bound on exports at once, 503 with Retry-After is the answer.
          const statuses = await Promise.all(
            Array.from({ length: 10 }, () =>
              get(pool, `/v1/readings/export?from=${from}&to=${to}`, true),
            ),
          );
          refusedExports += statuses.filter((status) => status === 503).length;
        },
      ],
      ["GET /v1/alarms", () => get(pool, "/v1/alarms")],
    ];
    for (const [name, read] of reads) {
      const times: number[] = [];
      let failed: string | undefined;
      const during = await steadyIngest(pool, async () => {
        const until = performance.now() + SECONDS * 1000;
        do {
          const t0 = performance.now();
          try {
            await read();
          } catch (error) {
            // One read's failure is its row's figure, not the end of the others.
            failed = (error as Error).message;
            break;
          }
          times.push(performance.now() - t0);
        } while (performance.now() < until);
      });
      const readMs = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
      log(
        `${name}: ${readMs.toFixed(0)} ms a read (${times.length}x${failed ? `, then failed: ${failed}` : ""}); ingest p50 ${during.p50.toFixed(1)} ms, p99 ${during.p99.toFixed(1)} ms, ${during.failures} of ${during.requests} not 200`,
      );
      if (name.includes("export"))
        log(`  exports answered 503 (over the bound): ${refusedExports}`);
      figures.push(
        { name: `${name}, time a read`, value: readMs, unit: "ms" },
        {
          name: `ingest p99 while ${name} runs`,
          value: during.p99,
          unit: "ms",
          ratio: { value: during.p99 / alone.p99, of: "ingest alone" },
          target: { text: `p99 <= ${TARGET_P99_MS} ms`, met: during.p99 <= TARGET_P99_MS },
        },
      );
    }
    return figures;
  } finally {
    await pool.close();
    await stop(gust.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
};

/** Registers the fleet and has each turbine send one reading (so every read has the lot). */
async function fill(pool: Pool, log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  for (let start = 0; start < TURBINES; start += 1000) {
    const turbines = [];
    const readings = [];
    for (let i = start; i < Math.min(TURBINES, start + 1000); i++) {
      turbines.push({
        turbine_id: id(i),
        project: `project-${i % 300}`,
        model: "Vestas V112",
        rated_kw: 3300,
        latitude: 52 + (i % 100) / 100,
        longitude: 5 + (i % 77) / 77,
        tags: { province: ["Flevoland", "Groningen", "Friesland", "Zeeland"][i % 4] as string },
      });
      readings.push({
        turbine_id: id(i),
        time: now - 600_000 + (i % 600) * 1000,
        power_kw: 1000 + (i % 2000),
        wind_speed_ms: 8,
        status: "producing",
      });
    }
    await send(pool, "PUT", "/v1/turbines", { turbines });
    await send(pool, "POST", "/v1/measurements", { readings });
  }
  log(`${TURBINES} turbines registered, each with a reading (${msSince(t0)} ms)`);
}

/** Runs `during` while single readings go out at RATE a second; their latencies' p50 and p99. */
async function steadyIngest(pool: Pool, during: () => Promise<void>) {
  const latencies: number[] = [];
  let failures = 0;
  const errors = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  let running = true;
  const ticker = (async () => {
    const began = performance.now();
    while (running) {
      const k = n++;
      const sent = performance.now();
      const request = pool
        .request({
          method: "POST",
          path: "/v1/measurements",
          headers: { ...operator, ...json },
          body: JSON.stringify({
            turbine_id: id(k % TURBINES),
            time: now + k,
            power_kw: 1500,
            wind_speed_ms: 9,
            status: "producing",
          }),
        })
        .then(
          async (answer) => {
            await answer.body.dump();
            if (answer.statusCode !== 200) failures++;
            latencies.push(performance.now() - sent);
          },
          (error: NodeJS.ErrnoException) => {
            // A connection the server dropped counts as a failed request, not the run's end.
            failures++;
            errors.set(
              error.code ?? error.message,
              (errors.get(error.code ?? error.message) ?? 0) + 1,
            );
          },
        )
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
      // The next one is due on the schedule, not after this answer.
      await wait(Math.max(0, began + (k + 1) * (1000 / RATE) - performance.now()));
    }
  })();
  await during();
  running = false;
  await ticker;
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const failed = [...errors].map(([code, count]) => `${count} ${code}`).join(", ");
  return {
    p50: at(0.5),
    p99: at(0.99),
    requests: latencies.length + [...errors.values()].reduce((a, b) => a + b, 0),
    failures: failed ? `${failures} (${failed})` : failures,
  };
}

async function pages(pool: Pool, count: number): Promise<void> {
  let cursor: string | null = null;
  for (let i = 0; i < count; i++) {
    const path: string = `/v1/turbines?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const answer = await pool.request({ method: "GET", path, headers: reader });
    const body = (await answer.body.json()) as { next_cursor: string | null };
    if (answer.statusCode !== 200) throw new Error(`${path}: ${answer.statusCode}`);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
}

/** Reads the whole answer (a client's cost too; undici's dump() would cut a large one short). */
async function get(pool: Pool, path: string, busyIsAnAnswer = false): Promise<number> {
  const answer = await pool.request({ method: "GET", path, headers: reader });
  for await (const _ of answer.body) {
    // read and dropped
  }
  const ok = answer.statusCode === 200 || (busyIsAnAnswer && answer.statusCode === 503);
  if (!ok) throw new Error(`GET ${path}: ${answer.statusCode}`);
  return answer.statusCode;
}

async function send(pool: Pool, method: "PUT" | "POST", path: string, body: unknown) {
  const answer = await pool.request({
    method,
    path,
    headers: { ...operator, ...json },
    body: JSON.stringify(body),
  });
  const text = await answer.body.text();
  if (answer.statusCode !== 200) throw new Error(`${method} ${path}: ${answer.statusCode} ${text}`);
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function msSince(t0: number): number {
  return Math.round(performance.now() - t0);
}
