// Soak: the live view under a crowd. gust (its own process) with 100,000 registered turbines,
// readings flowing (every turbine once a minute, in batches), and 300 live streams, of which 40
// never read a byte, for a bounded few minutes; the server's RSS sampled from /proc and
// /healthz timed throughout. Targets: RSS under 1 GiB, /healthz within 100 ms every time.
// BENCH_TURBINES, SOAK_SECONDS, SOAK_CLIENTS and SOAK_STALLED shrink it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { roleKey } from "../../api/auth/keys.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { SECRET, startChild, stop } from "./ingest.ts";

const TURBINES = Number(process.env.BENCH_TURBINES ?? 100_000);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 150);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 300);
const STALLED = Number(process.env.SOAK_STALLED ?? 40);
const RSS_LIMIT = 1024 * 1024 * 1024;
const HEALTH_LIMIT_MS = 100;

const operatorKey = roleKey(SECRET, "operator");
const readerKey = roleKey(SECRET, "reader");
const id = (i: number) => `soak-${String(i).padStart(6, "0")}`;

export const bench: Benchmark = async (log) => {
  const dataDir = mkdtempSync(join(tmpdir(), "gust-bench-soak-"));
  const gust = await startChild(["api/serve.ts"], {
    DATA_DIR: dataDir,
    PORT: "0",
    API_KEY_SECRET: SECRET,
  });
  const pid = gust.child.pid as number;
  const pool = new Pool(gust.url, { connections: 8 });
  const sockets: Socket[] = [];
  const streams = { bytes: 0, ended: 0, refused: 0 };
  try {
    const now = Date.now();
    for (let start = 0; start < TURBINES; start += 1000) {
      const ids = Array.from({ length: Math.min(1000, TURBINES - start) }, (_, k) => id(start + k));
      await send(pool, "PUT", "/v1/turbines", {
        turbines: ids.map((turbine_id, k) => ({
          turbine_id,
          project: `project-${(start + k) % 300}`,
          rated_kw: 3300,
          tags: { province: ["Flevoland", "Groningen", "Zeeland"][k % 3] as string },
        })),
      });
      await send(pool, "POST", "/v1/measurements", { readings: ids.map((t) => reading(t, now)) });
    }
    log(`${TURBINES} turbines registered, each with a reading; RSS ${mib(rss(pid))} MiB`);

    const { hostname, port } = new URL(gust.url);
    const open = (stalled: boolean) => {
      const socket = connect(Number(port), hostname);
      socket.on("error", () => undefined);
      if (stalled) socket.pause();
      else socket.on("data", (chunk) => (streams.bytes += chunk.length));
      let head = "";
      socket.once("data", (chunk) => {
        head = chunk.toString("latin1", 0, 12);
        if (!head.startsWith("HTTP/1.1 200")) streams.refused++;
      });
      socket.on("close", () => streams.ended++);
      socket.write(
        `GET /v1/live HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${readerKey}\r\n\r\n`,
      );
      sockets.push(socket);
    };

    let peakRss = rss(pid);
    let slowestHealth = 0;
    let healthChecks = 0;
    let healthOver = 0;
    let sent = 0;
    const began = performance.now();
    const deadline = began + SECONDS * 1000;
    let opened = 0;
    let stalled = 0;
    // Clients arrive over the first 20 s, the stalled ones spread among them.
    const every = Math.max(1, Math.floor(CLIENTS / Math.max(1, STALLED)));
    const arrivals = (async () => {
      while (opened < CLIENTS && performance.now() < deadline) {
        const stalls = opened % every === 0 && stalled < STALLED;
        if (stalls) stalled++;
        open(stalls);
        opened++;
        await wait(20_000 / CLIENTS);
      }
    })();
    // Every turbine reports once a minute: TURBINES/60 readings a second, in batches of 500.
    const ingest = (async () => {
      const perSecond = TURBINES / 60;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const readings = Array.from({ length: Math.min(500, TURBINES) }, () =>
          reading(id(sent++ % TURBINES), now + 60_000 + sent),
        );
        await send(pool, "POST", "/v1/measurements", { readings });
        await wait(Math.max(0, (500 / perSecond) * 1000 - (performance.now() - t0)));
      }
    })();
    const watch = (async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const answer = await pool.request({ method: "GET", path: "/healthz" });
        await answer.body.dump();
        const ms = performance.now() - t0;
        healthChecks++;
        if (ms > HEALTH_LIMIT_MS) healthOver++;
        slowestHealth = Math.max(slowestHealth, ms);
        peakRss = Math.max(peakRss, rss(pid));
        await wait(250);
      }
    })();
    let lastReport = began;
    while (performance.now() < deadline) {
      await wait(1000);
      peakRss = Math.max(peakRss, rss(pid));
      if (performance.now() - lastReport >= 15_000) {
        lastReport = performance.now();
        log(
          `${Math.round((lastReport - began) / 1000)} s: ${opened} streams opened, ${streams.ended} closed, RSS ${mib(rss(pid))} MiB (peak ${mib(peakRss)}), slowest /healthz ${slowestHealth.toFixed(0)} ms, ${mib(streams.bytes)} MiB streamed`,
        );
      }
    }
    await Promise.all([arrivals, ingest, watch]);
    log(
      `${opened} streams (${STALLED} never reading): ${streams.ended} closed by the server, ${streams.refused} refused; ${sent} readings sent; ${healthChecks} /healthz, ${healthOver} over ${HEALTH_LIMIT_MS} ms`,
    );
    const figures: BenchFigure[] = [
      {
        name: `server peak RSS, ${TURBINES} turbines, ${CLIENTS} streams (${STALLED} stalled), ${SECONDS} s`,
        value: peakRss / 1024 / 1024,
        unit: "MiB",
        target: { text: "under 1 GiB", met: peakRss < RSS_LIMIT },
      },
      {
        name: "slowest /healthz during the soak",
        value: slowestHealth,
        unit: "ms",
        target: { text: `within ${HEALTH_LIMIT_MS} ms throughout`, met: healthOver === 0 },
      },
    ];
    return figures;
  } finally {
    for (const socket of sockets) socket.destroy();
    await pool.close();
    await stop(gust.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
};

function reading(turbineId: string, time: number) {
  return { turbine_id: turbineId, time, power_kw: 1500, wind_speed_ms: 9, status: "producing" };
}

/** The process's resident set, bytes (Linux). */
function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) * 1024;
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}

async function send(pool: Pool, method: "PUT" | "POST", path: string, body: unknown) {
  const answer = await pool.request({
    method,
    path,
    headers: { authorization: `Bearer ${operatorKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await answer.body.text();
  if (answer.statusCode !== 200) throw new Error(`${method} ${path}: ${answer.statusCode} ${text}`);
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
