// InfluxDB's own write endpoint as the ingest peer: the benchmark's readings as line protocol
// straight to /write on a real influxd (test/support/influxdb.ts), with the same load generator
// as gust. Each point carries what gust writes for a turbine the registry does not know: the
// turbine_id tag and the reading's fields (and its measures, when the body has them).
import { encodePoint } from "../../api/store/influxdb-line-protocol.ts";
import { type LoadResult, runLoad } from "./load.ts";

/**
 * `perRequest` points of `fleet`'s 770 turbines, the n-th request's, one second apart per turbine.
 * Each line is encodePoint's, but encoded once per turbine and field set and then completed with
 * its time: the load generator shares the cores with the servers, and encoding every point
 * (~5 µs) cost it about 15x the CPU of gust's template-built JSON bodies, which slowed InfluxDB.
 */
export function influxLines(
  n: number,
  perRequest: number,
  start: number,
  fleet: string,
  measures: Record<string, number> = NO_MEASURES,
): string {
  const lines: string[] = [];
  for (let i = 0; i < perRequest; i++) {
    const k = n * perRequest + i;
    lines.push(
      `${seriesAndFields(`${fleet}-${k % 770}`, measures)} ${start + Math.floor(k / 770) * 1000}`,
    );
  }
  return lines.join("\n");
}

const NO_MEASURES: Record<string, number> = {};

/** One point as encodePoint writes it: what gust stores for a reading of the benchmark. */
export function benchPoint(turbineId: string, time: number, measures = NO_MEASURES): string {
  return encodePoint(
    "readings",
    { turbine_id: turbineId },
    {
      time,
      power_kw: 1234.5,
      wind_speed_ms: 9.1,
      status: "producing",
      status_code: null,
      version: 1,
      measures,
    },
  );
}

/** The line of a turbine's point without its time, by field set (measures) and turbine. */
const encoded = new WeakMap<Record<string, number>, Map<string, string>>();

function seriesAndFields(turbineId: string, measures: Record<string, number>): string {
  let lines = encoded.get(measures);
  if (!lines) {
    lines = new Map();
    encoded.set(measures, lines);
  }
  let line = lines.get(turbineId);
  if (line === undefined) {
    const point = benchPoint(turbineId, 0, measures);
    line = point.slice(0, point.lastIndexOf(" "));
    lines.set(turbineId, line);
  }
  return line;
}

/** InfluxDB alone: a 1-second warm-up on other turbines, then the measured run. */
export async function measureInfluxAlone(options: {
  url: string;
  database: string;
  perRequest: number;
  start: number;
  fleet: string;
  connections: number;
  seconds: number;
}): Promise<LoadResult> {
  const { url, database, perRequest, start, fleet, connections, seconds } = options;
  const load = {
    url,
    path: `/write?db=${database}&precision=ms`,
    headers: { "content-type": "text/plain; charset=utf-8" },
    connections,
  };
  await runLoad({
    ...load,
    seconds: 1,
    body: (n) => influxLines(n, perRequest, start, `${fleet}-warmup`),
  });
  return runLoad({ ...load, seconds, body: (n) => influxLines(n, perRequest, start, fleet) });
}
