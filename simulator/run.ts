// One simulation run, as `npm run simulate` and `npm start` use it: build the fleet and the
// weather, drive the API, verify when asked, and report.
import type { Writable } from "node:stream";
import { roleKey, turbineKey } from "../api/auth/keys.ts";
import { type Clock, systemClock } from "../api/time/clock.ts";
import { type DriveResult, drive, type ReadingCounts } from "./driver.ts";
import { fleetCapacityKw, generateFleet, type Project } from "./fleet.ts";
import { loadFleetCsv } from "./fleet-csv.ts";
import { listFleet, type ProvisionResult, projectEntry, putFleet } from "./fleet-registry.ts";
import { mqttTransport } from "./mqtt-transport.ts";
import { progressSink } from "./progress.ts";
import type { Defect } from "./scada/defects.ts";
import { ScadaFleet } from "./scada/fleet-scada.ts";
import { describeTurbine } from "./scada/turbines.ts";
import { type Verification, verifyStored } from "./verify.ts";
import { createWeatherProvider, type WeatherChoice } from "./weather/choose.ts";

export interface SimulationOptions {
  target: string;
  /** How the readings reach gust: POST /v1/measurements (default), or MQTT publishes at QoS 1. */
  transport?: "http" | "mqtt";
  /** The broker for MQTT (default: mqtt://{the target's host}:1883). */
  mqttUrl?: string;
  /** An external broker's own credentials for every connection (default: the gust key). */
  mqttUsername?: string;
  mqttPassword?: string;
  mode: "replay" | "realtime";
  /** How many projects of the fleet to drive (the first n); default all. */
  turbines?: number;
  /**
   * Per-turbine SCADA mode: each turbine of the projects its own turbine_id (registered with its
   * model, rated power, hub, rotor and location), sending channels as measures, faults,
   * curtailment and a few deliberate defects (simulator/scada).
   */
  perTurbine?: boolean;
  /** One reading per turbine per this many ms with mean/min/max/std (per-turbine mode). */
  statisticsMs?: number;
  /** Per-turbine mode: turbines with each episodic defect (icing, derating); default none. */
  episodicDefects?: number;
  fleetFile?: string;
  seed?: number;
  weather?: WeatherChoice;
  /** Replay window, epoch ms. */
  from?: number;
  to?: number;
  stepMs?: number;
  /** Realtime. */
  intervalMs?: number;
  durationMs?: number;
  jitterMs?: number;
  /** Realtime: this many turbines (spread over the fleet) stop reporting after three ticks. */
  fail?: number;
  batch?: number;
  concurrency?: number;
  maxAttempts?: number;
  /** Per-turbine keys derive from this secret (as a real fleet's would be provisioned). */
  keySecret?: string;
  /** Use the operator key (from keySecret, or `key`) for mixed batches instead. */
  operator?: boolean;
  /** One explicit key for every request. */
  key?: string;
  /** Overwrite registry entries the simulator finds already there (default: leave them). */
  replaceRegistrations?: boolean;
  readerKey?: string;
  verify?: boolean;
  signal?: AbortSignal;
  out?: Writable & { isTTY?: boolean };
  /** Whose time "now", realtime ticks and waits take (default: the machine's). */
  clock?: Clock;
}

export interface SimulationReport {
  mode: "replay" | "realtime";
  target: string;
  transport: "http" | "mqtt";
  /** The broker, with --transport mqtt. */
  mqttUrl?: string;
  projects: number;
  capacityMw: number;
  weather: string;
  window?: { from: string; to: string; stepSeconds: number };
  readings: ReadingCounts;
  requests: number;
  retries: number;
  seconds: number;
  readingsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  /** What provisioning the fleet in the registry did; absent without an operator key. */
  provisioned?: ProvisionResult & { kept: number };
  failures: string[];
  /** The API's explanation of each rejection reason seen (the first of each). */
  rejectionDetails: Record<string, string>;
  verification?: Verification;
  /** Per-turbine mode: how many turbines sent, and the deliberately defective ones (the truth). */
  scada?: { turbines: number; statisticsSeconds: number | null; defects: Defect[] };
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const out = options.out ?? process.stderr;
  const fleet = selectFleet(options);
  const weather = createWeatherProvider(
    options.weather ?? { provider: "synthetic" },
    options.seed ?? 1,
  );
  const batch = options.batch ?? (options.mode === "replay" ? 60 : 1);
  // Filled from the registry before the first reading: a rotated turbine's key is not generation 1.
  const generations = new Map<string, number>();
  const keys = chooseKeys(options, generations);
  const mqttUrl =
    options.transport === "mqtt" ? (options.mqttUrl ?? defaultMqttUrl(options.target)) : undefined;
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  if (options.episodicDefects && !options.perTurbine) {
    throw new Error("--episodic-defects needs --per-turbine (the defects are per turbine)");
  }
  if (options.statisticsMs !== undefined && !options.perTurbine) {
    throw new Error("--statistics needs --per-turbine (10-minute statistics are per turbine)");
  }
  const stepMs = options.statisticsMs ?? options.stepMs ?? 60_000;
  const scada = options.perTurbine
    ? new ScadaFleet(fleet, {
        statistics: options.statisticsMs !== undefined,
        episodicDefectsPerKind: options.episodicDefects ?? 0,
      })
    : undefined;
  const to = options.to ?? Math.floor(now / stepMs) * stepMs;
  // Aligned to the step, so that replaying the same window again sends the same identities
  // (and the API counts them as duplicates instead of storing them twice).
  const from = Math.ceil((options.from ?? to - 3_600_000) / stepMs) * stepMs;
  out.write(
    `gust simulator: ${options.mode} of ${fleet.length} projects${scada ? ` as ${scada.turbines.length} turbines (per-turbine SCADA${options.statisticsMs ? `, ${options.statisticsMs / 60_000}-minute statistics` : ""})` : ""} (${Math.round(fleetCapacityKw(fleet) / 1000)} MW) on ${weather.name} weather against ${options.target}${mqttUrl ? ` over MQTT (${mqttUrl})` : ""}\n`,
  );
  const provisioning = await provision(options, fleet, out, scada, generations);
  const driveOptions = {
    target: options.target,
    fleet,
    scada,
    scadaIntervalMs:
      options.mode === "replay" ? stepMs : (options.statisticsMs ?? options.intervalMs ?? 1000),
    weather,
    keyFor: keys.keyFor,
    // A publish carries one turbine's readings: its topic says whose they are.
    onePerRequest: keys.onePerRequest || mqttUrl !== undefined,
    ...(mqttUrl
      ? {
          transport: mqttTransport({
            url: mqttUrl,
            concurrency: options.concurrency ?? 16,
            ...(options.mqttUsername ? { username: options.mqttUsername } : {}),
            ...(options.mqttPassword ? { password: options.mqttPassword } : {}),
          }),
        }
      : {}),
    batch,
    concurrency: options.concurrency ?? 16,
    keepAcknowledged: options.verify === true,
    maxAttempts: options.maxAttempts ?? 8,
    signal: options.signal,
    progress: progressSink(out, clock),
    clock,
  };
  const failing = failingTurbines(fleet, options.mode === "realtime" ? (options.fail ?? 0) : 0);
  if (failing.length > 0) {
    out.write(
      `  --fail ${failing.length}: ${failing.join(", ")} stop reporting after three intervals\n`,
    );
  }
  const driven: DriveResult =
    options.mode === "replay"
      ? await drive(driveOptions, { mode: "replay", from, to, stepMs })
      : await drive(driveOptions, {
          mode: "realtime",
          intervalMs: options.statisticsMs ?? options.intervalMs ?? 1000,
          durationMs: options.durationMs,
          jitterMs: options.jitterMs ?? Math.min(500, (options.intervalMs ?? 1000) / 2),
          failing: new Set(failing),
        });

  const report: SimulationReport = {
    mode: options.mode,
    target: options.target,
    transport: mqttUrl ? "mqtt" : "http",
    ...(mqttUrl ? { mqttUrl } : {}),
    projects: fleet.length,
    capacityMw: Math.round(fleetCapacityKw(fleet) / 100) / 10,
    weather: weather.name,
    readings: {
      planned: driven.planned,
      sent: driven.sent,
      accepted: driven.accepted,
      duplicates: driven.duplicates,
      rejected: driven.rejected,
      failed: driven.failed,
      missingWeather: driven.missingWeather,
    },
    requests: driven.requests,
    retries: driven.retries + provisioning.retries,
    seconds: Math.round(driven.seconds * 100) / 100,
    readingsPerSecond: Math.round(driven.readingsPerSecond),
    latencyMs: { p50: round1(driven.latencyMs.p50), p99: round1(driven.latencyMs.p99) },
    failures: [
      ...provisioning.failures,
      ...driven.failures,
      ...(weather.log?.failures.slice(0, 10).map((f) => `weather: ${f}`) ?? []),
    ],
    rejectionDetails: driven.rejectionDetails,
    ...(provisioning.result ? { provisioned: provisioning.result } : {}),
    ...(scada
      ? {
          scada: {
            turbines: scada.turbines.length,
            statisticsSeconds: options.statisticsMs ? options.statisticsMs / 1000 : null,
            defects: scada.defects,
          },
        }
      : {}),
  };
  if (options.mode === "replay") {
    report.window = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      stepSeconds: stepMs / 1000,
    };
  }
  if (options.verify) {
    const readerKey =
      options.readerKey ?? (options.keySecret ? roleKey(options.keySecret, "reader") : undefined);
    if (!readerKey)
      throw new Error(
        "--verify needs the reader key: pass --reader-key, or --key-secret / API_KEY_SECRET.",
      );
    out.write("verifying: reading every acknowledged reading back through the API...\n");
    let lastShown = 0;
    report.verification = await verifyStored(
      options.target,
      readerKey,
      driven.acknowledged,
      (done, total) => {
        if (clock.now() - lastShown > 1000 || done === total) {
          lastShown = clock.now();
          out.write(`  verified ${done}/${total} turbines\n`);
        }
      },
      clock,
    );
  }
  return report;
}

/**
 * Describes the fleet in the API's registry before any reading is sent (readings carry no
 * metadata). Idempotent: a fleet already registered so comes back unchanged. Needs the operator
 * key; with a turbine's key alone the turbines are sent unregistered, as the API allows. A
 * failure is reported and the readings are still sent (and accounted for), never dropped.
 */
async function provision(
  options: SimulationOptions,
  fleet: readonly Project[],
  out: Writable,
  scada?: ScadaFleet,
  generations?: Map<string, number>,
): Promise<{
  result?: ProvisionResult & { kept: number };
  retries: number;
  failures: string[];
}> {
  const operatorKey = options.key?.startsWith("gust.op.")
    ? options.key
    : options.keySecret
      ? roleKey(options.keySecret, "operator")
      : undefined;
  if (!operatorKey) {
    out.write(
      "  registry: not provisioned (no operator key; pass --key-secret): the turbines send as unregistered\n",
    );
    return { retries: 0, failures: [] };
  }
  let retries = 0;
  try {
    const entries = scada
      ? scada.turbines.map((t) => ({ turbine_id: t.turbine_id, ...describeTurbine(t) }))
      : fleet.map(projectEntry);
    // What the registry holds already: the current key generation of each turbine, and the
    // entries someone (an operator, another fleet file) registered, which stay as they are.
    const retry = {
      clock: options.clock,
      maxAttempts: options.maxAttempts ?? 8,
      onRetry: () => retries++,
    };
    const registered = new Set<string>();
    for (const turbine of await listFleet(options.target, operatorKey, {}, undefined, retry)) {
      if (!turbine.registered) continue;
      registered.add(turbine.turbine_id);
      generations?.set(turbine.turbine_id, turbine.key_generation ?? 1);
    }
    const toPut = options.replaceRegistrations
      ? entries
      : entries.filter((e) => !registered.has(e.turbine_id));
    const kept = entries.length - toPut.length;
    const put = await putFleet(options.target, operatorKey, toPut, undefined, retry);
    const result = { ...put, kept };
    const keptNote =
      kept > 0
        ? `, ${kept} already registered and left as they are (--replace-registrations overwrites them)`
        : "";
    out.write(
      `  registry: ${entries.length} ${scada ? "turbines" : "projects"} provisioned (${result.created} created, ${result.replaced} replaced, ${result.unchanged} unchanged${keptNote})\n`,
    );
    return { result, retries, failures: [] };
  } catch (error) {
    const failure = `registry: the fleet was not provisioned: ${(error as Error).message}`;
    out.write(`  ${failure}; sending the readings anyway\n`);
    return { retries, failures: [failure] };
  }
}

/** `count` turbine ids spread evenly over the fleet (the ones --fail stops). */
export function failingTurbines(fleet: readonly Project[], count: number): string[] {
  if (count > fleet.length) {
    throw new Error(`--fail ${count} is more than the ${fleet.length} projects driven.`);
  }
  return Array.from(
    { length: count },
    (_, i) => fleet[Math.floor(((i + 0.5) * fleet.length) / count)]?.id as string,
  );
}

/** gust's own broker on the API's host, at MQTT's port. */
function defaultMqttUrl(target: string): string {
  return `mqtt://${new URL(target).host.replace(/:\d+$/, "")}:1883`;
}

function selectFleet(options: SimulationOptions): Project[] {
  const fleet = options.fleetFile
    ? loadFleetCsv(options.fleetFile)
    : generateFleet(options.seed ?? 2020);
  if (options.turbines === undefined) return fleet;
  if (options.turbines > fleet.length) {
    throw new Error(
      `--turbines ${options.turbines} is more than the fleet's ${fleet.length} projects.`,
    );
  }
  return fleet.slice(0, options.turbines);
}

function chooseKeys(
  options: SimulationOptions,
  generations: ReadonlyMap<string, number>,
): {
  keyFor: (turbineId: string | null) => string;
  onePerRequest: boolean;
} {
  if (options.key) {
    const key = options.key;
    return { keyFor: () => key, onePerRequest: key.startsWith("gust.t.") };
  }
  const secret = options.keySecret;
  if (!secret) {
    throw new Error(
      "No key: pass --key-secret (or set API_KEY_SECRET) to derive keys, or --key with an operator key.",
    );
  }
  if (options.operator) {
    const operatorKey = roleKey(secret, "operator");
    return { keyFor: () => operatorKey, onePerRequest: false };
  }
  const keys = new Map<string, string>();
  return {
    keyFor: (turbineId) => {
      if (turbineId === null) throw new Error("per-turbine keys need one turbine per request");
      let key = keys.get(turbineId);
      if (!key) {
        key = turbineKey(secret, turbineId, generations.get(turbineId) ?? 1);
        keys.set(turbineId, key);
      }
      return key;
    },
    onePerRequest: true,
  };
}

// What to do next about each kind of rejection.
const REJECTION_ADVICE: Record<string, string> = {
  too_old: "; replay a window the API still accepts (--from within its write window)",
  too_new: "; --to may be at most 15 minutes ahead of the API's clock",
  conflict:
    "; other values are already stored at these times (another seed or fleet?): replay a different window",
};

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The report as the few lines an operator reads first. */
export function describeReport(report: SimulationReport): string {
  const n = (value: number) => value.toLocaleString("en");
  const r = report.readings;
  const rejected =
    Object.entries(r.rejected)
      .map(([reason, count]) => `${reason} ${n(count)}`)
      .join(", ") || "none";
  const lines = [
    `${report.mode} of ${report.projects} projects (${n(report.capacityMw)} MW) in ${report.seconds} s: ${n(report.readingsPerSecond)} readings/s`,
    `  sent ${n(r.sent)} | accepted ${n(r.accepted)} | duplicates ${n(r.duplicates)} | rejected ${rejected} | failed ${n(r.failed)} | no weather ${n(r.missingWeather)}`,
    `  ${n(report.requests)} ${report.transport === "mqtt" ? "publishes" : "requests"}, ${n(report.retries)} retries, latency p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms`,
  ];
  for (const [reason, detail] of Object.entries(report.rejectionDetails)) {
    lines.push(`  ${reason}: ${detail}${REJECTION_ADVICE[reason] ?? ""}`);
  }
  for (const failure of report.failures) lines.push(`  failure: ${failure}`);
  if (report.scada) {
    lines.push(
      `  per-turbine SCADA: ${n(report.scada.turbines)} turbines; deliberate defects (the analyses should find them):`,
    );
    for (const d of report.scada.defects) lines.push(`    ${d.turbine_id}: ${d.description}`);
  }
  const v = report.verification;
  if (v) {
    lines.push(
      v.ok
        ? `  verified: all ${n(v.checked)} acknowledged readings of ${v.turbines} turbines are stored exactly once with the values sent`
        : `  VERIFICATION FAILED: ${n(v.missing)} missing, ${n(v.mismatched)} with other values, ${n(v.duplicated)} stored twice, of ${n(v.checked)}`,
    );
    for (const problem of v.problems) lines.push(`    ${problem}`);
  }
  return lines.join("\n");
}
