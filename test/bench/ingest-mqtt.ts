// Ingest over MQTT against the same readings over HTTP, on one gust (a child process with its
// embedded broker): QoS 1 publishes whose PUBACK means stored, from 64 publishers, 1 and 500
// readings a message, against 64 HTTP connections sending the same bodies to /v1/measurements.
// Both take turns twice so that a noisy moment on this shared machine does not decide a ratio.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { roleKey } from "../../api/auth/keys.ts";
import { readingsTopic } from "../../api/mqtt/topics.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { BATCH, describe, meanOf, SECRET, startChild, stop } from "./ingest.ts";
import { type LoadResult, runLoad } from "./load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PUBLISHERS = 64;
const start = Date.now() - 2 * 86_400_000;

/**
 * The n-th message's body: `perMessage` readings of one turbine (a publisher's topic takes its
 * own turbine's readings only), new times for every n.
 */
function body(n: number, perMessage: number, fleet: string): { turbine: string; json: string } {
  const turbine = `${fleet}-${n % PUBLISHERS}`;
  const first = start + Math.floor(n / PUBLISHERS) * perMessage * 1000;
  const readings: string[] = [];
  for (let i = 0; i < perMessage; i++) {
    readings.push(
      `{"turbine_id":"${turbine}","time":${first + i * 1000},"power_kw":1234.5,"wind_speed_ms":9.1,"status":"producing"}`,
    );
  }
  return { turbine, json: `{"readings":[${readings.join(",")}]}` };
}

/** `PUBLISHERS` connections, each publishing at QoS 1 and waiting for its PUBACK, for `seconds`. */
async function publishLoad(
  url: string,
  perMessage: number,
  fleet: string,
  seconds: number,
): Promise<LoadResult> {
  const key = roleKey(SECRET, "operator");
  const clients = await Promise.all(
    Array.from({ length: PUBLISHERS }, () =>
      mqtt.connectAsync(url, { username: "bench", password: key, reconnectPeriod: 0 }),
    ),
  );
  const latencies: number[] = [];
  let sent = 0;
  let failures = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline) {
        const message = body(sent++, perMessage, fleet);
        const t0 = performance.now();
        try {
          await client.publishAsync(readingsTopic(message.turbine), message.json, { qos: 1 });
          latencies.push(performance.now() - t0);
        } catch {
          failures++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.endAsync()));
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length + failures,
    seconds: elapsed,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    failures,
  };
}

function postLoad(
  url: string,
  perMessage: number,
  fleet: string,
  seconds: number,
): Promise<LoadResult> {
  return runLoad({
    url,
    path: "/v1/measurements",
    headers: {
      authorization: `Bearer ${roleKey(SECRET, "operator")}`,
      "content-type": "application/json",
    },
    connections: PUBLISHERS,
    seconds,
    body: (n) => body(n, perMessage, fleet).json,
  });
}

export const bench: Benchmark = async (log) => {
  const dataDir = mkdtempSync(join(tmpdir(), "gust-bench-mqtt-"));
  const gust = await startChild(["api/serve.ts"], {
    DATA_DIR: dataDir,
    PORT: "0",
    MQTT_PORT: "0",
    API_KEY_SECRET: SECRET,
  });
  try {
    const mqttUrl = gust.mqttUrl;
    if (!mqttUrl) throw new Error("gust printed no mqtt:// URL (MQTT_PORT)");
    const figures: BenchFigure[] = [];
    for (const perMessage of [1, BATCH]) {
      const http: LoadResult[] = [];
      const published: LoadResult[] = [];
      // Warm-up on other turbines, so that the measured readings arrive forward in time.
      await postLoad(gust.url, perMessage, `warm-http-${perMessage}`, 1);
      await publishLoad(mqttUrl, perMessage, `warm-mqtt-${perMessage}`, 1);
      for (const round of ["bench", "again"]) {
        log(
          `ingest over MQTT: ${perMessage} reading(s)/message, ${PUBLISHERS} publishers at QoS 1, against HTTP with ${PUBLISHERS} connections, ${SECONDS} s each...`,
        );
        http.push(await postLoad(gust.url, perMessage, `http-${perMessage}-${round}`, SECONDS));
        log(`  HTTP: ${describe(http.at(-1) as LoadResult, perMessage)}`);
        published.push(
          await publishLoad(mqttUrl, perMessage, `mqtt-${perMessage}-${round}`, SECONDS),
        );
        log(`  MQTT: ${describe(published.at(-1) as LoadResult, perMessage)}`);
      }
      const overHttp = meanOf(http);
      const overMqtt = meanOf(published);
      const ratio = overMqtt.requestsPerSecond / overHttp.requestsPerSecond;
      figures.push(
        {
          name: `ingest over HTTP, ${perMessage} reading(s)/request, ${PUBLISHERS} connections, one turbine a request`,
          value: overHttp.requestsPerSecond * perMessage,
          unit: "readings/s",
        },
        {
          name: `ingest over MQTT QoS 1, ${perMessage} reading(s)/message, ${PUBLISHERS} publishers`,
          value: overMqtt.requestsPerSecond * perMessage,
          unit: "readings/s",
          ratio: { value: ratio, of: "HTTP" },
          target: { text: ">= HTTP's readings/s", met: ratio >= 1 },
        },
        {
          name: `ingest over MQTT, ${perMessage} reading(s)/message, p99 publish to PUBACK`,
          value: overMqtt.p99Ms,
          unit: "ms",
        },
      );
    }
    return figures;
  } finally {
    await stop(gust.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
};
