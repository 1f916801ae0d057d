// A small closed-loop load generator on undici's Pool (about 3x the rate of undici fetch), shared
// by the benchmarks: `connections` workers each send a request, wait for the answer, repeat.
import { Pool } from "undici";

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

export interface LoadOptions {
  url: string;
  path: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** The body of the n-th request (each must be a new reading, or the store sees duplicates). */
  body: (n: number) => string;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.url, { connections: options.connections, pipelining: 1 });
  const latencies: number[] = [];
  let sent = 0;
  let failures = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const body = options.body(sent++);
      const t0 = performance.now();
      const response = await pool.request({
        method: "POST",
        path: options.path,
        headers: options.headers,
        body,
      });
      await response.body.dump();
      latencies.push(performance.now() - t0);
      // Any 2xx is success (InfluxDB answers 204); nothing else counts as throughput.
      if (response.statusCode < 200 || response.statusCode > 299) failures++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: (latencies.length - failures) / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    failures,
  };
}
