// Drives a gust API with the fleet's readings over HTTP or MQTT (simulator/transport.ts), and
// accounts for every reading: each is acknowledged (accepted or duplicate), rejected (with the
// API's reason), or failed after its retries. Nothing is dropped silently.
import type { IngestResult } from "../api/readings/schema.ts";
import { type Clock, sleep, systemClock } from "../api/time/clock.ts";
import type { Project } from "./fleet.ts";
import type { ProgressSink } from "./progress.ts";
import { projectReading, readingJson, type SimulatedReading } from "./project-reading.ts";
import type { ScadaFleet } from "./scada/fleet-scada.ts";
import { etaSeconds, LatencySample, type SimulationStats } from "./stats.ts";
import { httpTransport, type Transport } from "./transport.ts";
import type { AcknowledgedReadings } from "./verify.ts";
import type { WeatherProvider } from "./weather/provider.ts";

export interface DriverOptions {
  target: string;
  fleet: readonly Project[];
  /** Per-turbine SCADA mode: every turbine of `fleet` sends its own readings with channels. */
  scada?: ScadaFleet;
  /** What one SCADA reading covers (the replay step or realtime interval). */
  scadaIntervalMs?: number;
  weather: WeatherProvider;
  /** The key for a request whose readings are all of one turbine, or of several (null). */
  keyFor: (turbineId: string | null) => string;
  /** True when every request must hold one turbine's readings (per-turbine keys). */
  onePerRequest: boolean;
  batch: number;
  concurrency: number;
  /** Keep every acknowledged reading for verification (memory and time in proportion). */
  keepAcknowledged: boolean;
  maxAttempts: number;
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Whose time realtime ticks, backoff and progress take (default: the machine's). */
  clock?: Clock;
  /** How requests reach the API (default: HTTP to `target`); closed when the drive ends. */
  transport?: Transport;
}

export interface ReplayPlan {
  mode: "replay";
  from: number;
  to: number;
  stepMs: number;
}

export interface RealtimePlan {
  mode: "realtime";
  intervalMs: number;
  /** Stop after this long; undefined: until the signal aborts (Ctrl-C). */
  durationMs?: number;
  /** Each turbine sends up to this much after the tick, as real fleets spread out. */
  jitterMs: number;
  /** These turbines stop reporting after `failAfterTicks` ticks (--fail: alarms to watch). */
  failing?: ReadonlySet<string>;
  failAfterTicks?: number;
}

/** What became of the readings of a run: every one is in exactly one of these counts. */
export interface ReadingCounts {
  /** Readings the run will produce (replay), or null when open-ended (realtime). */
  planned: number | null;
  sent: number;
  accepted: number;
  duplicates: number;
  /** By the API's reason: conflict, too_old, too_new. */
  rejected: Record<string, number>;
  failed: number;
  /** Never sent: the weather provider had nothing for that project and time. */
  missingWeather: number;
}

export interface DriveResult extends ReadingCounts {
  failures: string[];
  /** The API's own words for each rejection reason (the first one seen), e.g. the window. */
  rejectionDetails: Record<string, string>;
  requests: number;
  retries: number;
  seconds: number;
  readingsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  /** Every acknowledged reading (turbine -> time -> reading) when kept, for verification. */
  acknowledged: AcknowledgedReadings;
}

interface Request {
  turbineId: string | null;
  readings: SimulatedReading[];
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 5000;
const MAX_FAILURE_MESSAGES = 10;

export async function drive(
  options: DriverOptions,
  plan: ReplayPlan | RealtimePlan,
): Promise<DriveResult> {
  const transport = options.transport ?? httpTransport(options.target, options.concurrency);
  const latency = new LatencySample();
  const result: DriveResult = {
    planned:
      plan.mode === "replay"
        ? Math.ceil((plan.to - plan.from) / plan.stepMs) * senders(options).length
        : null,
    sent: 0,
    accepted: 0,
    duplicates: 0,
    rejected: {},
    failed: 0,
    failures: [],
    rejectionDetails: {},
    missingWeather: 0,
    requests: 0,
    retries: 0,
    seconds: 0,
    readingsPerSecond: 0,
    latencyMs: { p50: 0, p99: 0 },
    acknowledged: new Map(),
  };
  const started = performance.now();
  const rejectedTotal = () => Object.values(result.rejected).reduce((sum, n) => sum + n, 0);
  const stats = (): SimulationStats => {
    const seconds = (performance.now() - started) / 1000;
    const done = result.accepted + result.duplicates + rejectedTotal() + result.failed;
    const rate = done / Math.max(seconds, 1e-3);
    return {
      planned: result.planned,
      sent: result.sent,
      acknowledged: result.accepted + result.duplicates,
      duplicates: result.duplicates,
      rejected: rejectedTotal(),
      failed: result.failed,
      rate,
      p50Ms: latency.quantile(0.5),
      p99Ms: latency.quantile(0.99),
      etaSeconds: etaSeconds(result.planned, done, result.missingWeather, seconds),
    };
  };
  const clock = options.clock ?? systemClock;
  const ticker = clock.setInterval(() => options.progress?.update(stats()), 250);

  const fail = (request: Request, why: string) => {
    result.failed += request.readings.length;
    if (result.failures.length < MAX_FAILURE_MESSAGES) result.failures.push(why);
  };

  async function send(request: Request): Promise<void> {
    const body = `{"readings":[${request.readings.map(readingJson).join(",")}]}`;
    const key = options.keyFor(request.turbineId);
    result.sent += request.readings.length;
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      const { status, text, retryAfter } = await transport.send({
        turbineId: request.turbineId,
        key,
        body,
      });
      latency.add(performance.now() - t0);
      result.requests++;
      if (status === 200) {
        account(request, JSON.parse(text) as IngestResult);
        return;
      }
      const retryable = status === 0 || RETRYABLE.has(status);
      if (!retryable || attempt >= options.maxAttempts || options.signal?.aborted) {
        const what =
          status === 0 ? `network error: ${text}` : `HTTP ${status}: ${problemDetail(text)}`;
        fail(
          request,
          `${request.readings.length} reading(s) failed after ${attempt} attempt(s): ${what}`,
        );
        return;
      }
      result.retries++;
      // Full jitter backoff, or the server's Retry-After when it says one.
      const hinted = Number(retryAfter) * 1000;
      const backoff = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
      await sleep(clock, Number.isFinite(hinted) && hinted > 0 ? hinted : backoff);
    }
  }

  function account(request: Request, answer: IngestResult): void {
    const rejectedAt = new Set<number>();
    for (const { index, reason, detail } of answer.rejected) {
      rejectedAt.add(index);
      result.rejected[reason] = (result.rejected[reason] ?? 0) + 1;
      result.rejectionDetails[reason] ??= detail;
    }
    result.accepted += answer.accepted;
    result.duplicates += answer.duplicates;
    if (!options.keepAcknowledged) return;
    request.readings.forEach((reading, index) => {
      if (rejectedAt.has(index)) return;
      let byTime = result.acknowledged.get(reading.turbine_id);
      if (!byTime) {
        byTime = new Map();
        result.acknowledged.set(reading.turbine_id, byTime);
      }
      byTime.set(reading.time, reading);
    });
  }

  // Workers take requests from one shared source until it is exhausted.
  const source =
    plan.mode === "replay"
      ? replayRequests(options, plan, result)
      : realtimeRequests(options, plan, result);
  const worker = async () => {
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      await send(next.value);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clock.clear(ticker);
    await transport.close();
  }
  result.seconds = (performance.now() - started) / 1000;
  result.readingsPerSecond = (result.accepted + result.duplicates) / Math.max(result.seconds, 1e-3);
  result.latencyMs = { p50: latency.quantile(0.5), p99: latency.quantile(0.99) };
  options.progress?.update(stats(), true);
  return result;
}

function problemDetail(text: string): string {
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    return [problem.title, problem.detail].filter(Boolean).join(": ") || text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

/** The readings of every project at `time`; projects without weather are skipped and counted. */
async function readingsAt(
  options: DriverOptions,
  time: number,
  result: DriveResult,
): Promise<SimulatedReading[]> {
  if (options.scada) {
    // Each reading covers the step until the next (10 minutes with --statistics 10m).
    const { readings, missing } = await options.scada.readingsAt(
      options.weather,
      time,
      options.scadaIntervalMs ?? 60_000,
    );
    result.missingWeather += missing;
    return readings;
  }
  const weather = await options.weather.conditions(options.fleet, time);
  const readings: SimulatedReading[] = [];
  options.fleet.forEach((project, i) => {
    const conditions = weather[i];
    if (conditions) readings.push(projectReading(project, conditions, time));
    else result.missingWeather++;
  });
  return readings;
}

// Replay: time moves forward block by block. With per-turbine keys a request carries one
// turbine's next `batch` steps; with the operator key it carries `batch` readings of any turbines.
async function* replayRequests(
  options: DriverOptions,
  plan: ReplayPlan,
  result: DriveResult,
): AsyncGenerator<Request> {
  const blockSteps = options.onePerRequest ? options.batch : 1;
  let pending: SimulatedReading[] = [];
  for (let blockStart = plan.from; blockStart < plan.to; blockStart += blockSteps * plan.stepMs) {
    if (options.signal?.aborted) break;
    const block: SimulatedReading[] = [];
    for (let step = 0; step < blockSteps; step++) {
      const time = blockStart + step * plan.stepMs;
      if (time >= plan.to) break;
      block.push(...(await readingsAt(options, time, result)));
    }
    if (options.onePerRequest) {
      const byTurbine = new Map<string, SimulatedReading[]>();
      for (const reading of block) {
        const list = byTurbine.get(reading.turbine_id) ?? [];
        list.push(reading);
        byTurbine.set(reading.turbine_id, list);
      }
      for (const [turbineId, readings] of byTurbine) yield { turbineId, readings };
    } else {
      pending.push(...block);
      while (pending.length >= options.batch) {
        yield { turbineId: null, readings: pending.slice(0, options.batch) };
        pending = pending.slice(options.batch);
      }
    }
  }
  if (pending.length > 0) yield { turbineId: null, readings: pending };
}

// Realtime: every interval, each turbine reports the present, a little after the tick.
async function* realtimeRequests(
  options: DriverOptions,
  plan: RealtimePlan,
  result: DriveResult,
): AsyncGenerator<Request> {
  const clock = options.clock ?? systemClock;
  const stopAt =
    plan.durationMs === undefined ? Number.POSITIVE_INFINITY : clock.now() + plan.durationMs;
  const jitter = new Map(
    senders(options).map((id, i) => [id, (((i * 7919) % 1000) / 1000) * plan.jitterMs]),
  );
  let ticks = 0;
  for (let tick = clock.now(); tick < stopAt && !options.signal?.aborted; tick += plan.intervalMs) {
    const wait = tick - clock.now();
    if (wait > 0) await sleep(clock, wait, options.signal).catch(() => undefined);
    if (options.signal?.aborted) break;
    let readings = await readingsAt(options, tick, result);
    const failing = plan.failing;
    if (failing && ticks++ >= (plan.failAfterTicks ?? 3)) {
      readings = readings.filter((reading) => !failing.has(reading.turbine_id));
    }
    readings.sort((a, b) => (jitter.get(a.turbine_id) ?? 0) - (jitter.get(b.turbine_id) ?? 0));
    if (options.onePerRequest || options.batch === 1) {
      for (const reading of readings) {
        const sendAt = tick + (jitter.get(reading.turbine_id) ?? 0);
        if (sendAt > clock.now()) await sleep(clock, sendAt - clock.now());
        yield { turbineId: reading.turbine_id, readings: [reading] };
      }
    } else {
      for (let i = 0; i < readings.length; i += options.batch) {
        yield { turbineId: null, readings: readings.slice(i, i + options.batch) };
      }
    }
  }
}

/** The turbine_ids that send: one per project, or every turbine in per-turbine mode. */
function senders(options: DriverOptions): string[] {
  return options.scada
    ? options.scada.turbines.map((t) => t.turbine_id)
    : options.fleet.map((p) => p.id);
}
