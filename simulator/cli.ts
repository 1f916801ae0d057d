// `npm run simulate -- [flags]`: drive a gust API with the Dutch fleet. See --help.

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { existingLocalSecret } from "../api/auth/secret.ts";
import { systemClock } from "../api/time/clock.ts";
import { parseTimeFlag } from "../api/time/time-words.ts";
import { describeReport, runSimulation, type SimulationOptions } from "./run.ts";
import { WEATHER_PROVIDERS, type WeatherChoice } from "./weather/choose.ts";

const HELP = `gust simulator: drives the Dutch onshore fleet against a gust API, and proves nothing was lost.

Usage: npm run simulate -- [flags]

Where and who
  --target URL          the API (default http://127.0.0.1:3000, or GUST_TARGET)
  --transport http|mqtt how readings are sent (default http): mqtt publishes each request at
                        QoS 1 on its turbine's readings topic and waits for the PUBACK and the
                        answer (docs/mqtt.md); --verify still reads back over HTTP
  --mqtt-url URL        the broker (default MQTT_URL, else mqtt://<target's host>:1883;
                        ws://host:port for MQTT over WebSockets)
  --mqtt-username NAME  an external broker's own user name and password for every connection
  --mqtt-password PASS  (default: the turbine id, or the operator's, and the gust key)
  --key-secret SECRET   derive per-turbine keys (and the reader key) from the API's secret
                        (default: API_KEY_SECRET, else ./data/api-key-secret of a local API)
  --operator            send with the operator key, several turbines per request
  --key KEY             one explicit key for every request (an operator key, or one turbine's)
  --reader-key KEY      the key --verify reads with (default: derived from the secret)
                        Per-turbine keys are those of each turbine's current key generation, as
                        the registry holds it (after POST /v1/turbines/ID/keys/rotate)
  --replace-registrations  overwrite registry entries that are already there (default: the
                        simulator registers only turbines the registry does not hold, and says
                        how many it left as they are)

Fleet and weather
  --turbines N          drive the first N projects (default: all 770)
  --per-turbine         every turbine of those projects its own turbine_id (2,144 for the whole
                        fleet), registered with model, rated power, hub, rotor and location, sending
                        SCADA channels as measures (rotor and generator speed, pitch, wind and
                        nacelle direction, yaw error, temperatures, pressure, energy counter,
                        status_code), faults, maintenance and curtailment periods, and four
                        deliberately defective turbines named in the report
  --statistics 10m      with --per-turbine: one reading per turbine per 10 minutes with the mean,
                        min, max and standard deviation of power and wind (as SCADA exports);
                        sets the replay step and the realtime interval
  --episodic-defects N  with --per-turbine: N more turbines that ice whenever it is at or below
                        1 °C and N more derated part of every day while SCADA says producing
                        (what GET /v1/analyses/deficits finds), named in the report
  --fleet FILE.csv      a real fleet instead of the generated one (columns in docs/simulator.md)
  --seed N              seed of the generated fleet and synthetic weather (default 2020 / 1)
  --weather NAME        synthetic (default, offline, deterministic), open-meteo (live, no key,
                        wind at 100 m), openweathermap (live, key, wind at 10 m: the original
                        experiment's source), knmi (replay of KNMI hourly station files)
  --weather-key KEY     the OpenWeatherMap key (default: OPENWEATHERMAP_API_KEY)
  --weather-url URL     another endpoint for open-meteo / openweathermap (a proxy, a mirror)
  --knmi PATH           a KNMI uurgeg_*.txt file or a directory of them

Mode
  --mode replay|realtime   (default replay)
  replay:   --from TIME --to TIME --step SECONDS
            a past window at a resolution, sent as fast as the API accepts
            (defaults: the last hour before now, 60 s steps; TIME is RFC 3339, epoch ms,
             now, now-3h / now-2d, or 3h: that long before now)
  realtime: --interval SECONDS --duration SECONDS
            every interval each turbine reports the present, spread by up to half an interval;
            runs until --duration or Ctrl-C, then drains in-flight requests and reports
            --fail N: N turbines (spread over the fleet) stop reporting after three
            intervals, so the live page (/live) shows their silent alarms

Sending
  --batch N             readings per request (default 60 in replay, 1 in realtime; max 1000)
  --concurrency N       requests in flight (default 16)
  --max-attempts N      tries per request on 429, 503 and network errors (default 8), with
                        capped exponential backoff and jitter; the same readings are re-sent,
                        which is safe: the API stores each reading once

Results
  --verify              read every acknowledged reading back and check it is stored exactly once
  --report FILE.json    write the final summary as JSON
  --help                this text

Exit status: 0 when every reading was acknowledged (and verified, with --verify); 1 otherwise.`;

/** A duration as people type it: 10m, 600s, 1h, or seconds. */
function duration(value: string, flag: string): number {
  const match = value.trim().match(/^(\d+(?:\.\d+)?)\s*(s|m|min|h)?$/i);
  const unit = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[
    (match?.[2]?.toLowerCase() ?? "s") as "s" | "m" | "min" | "h"
  ];
  const ms = match ? Number(match[1]) * unit : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1000)
    throw new Error(`${flag} must be a duration such as 10m, 600s or 1h, not "${value}"`);
  return ms;
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new Error(`${flag} must be a positive number, not "${value}"`);
  return number;
}

function whole(value: string | undefined, flag: string): number | undefined {
  const number = positive(value, flag);
  if (number !== undefined && !Number.isInteger(number))
    throw new Error(`${flag} must be a whole number, not "${value}"`);
  return number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: "string" },
      transport: { type: "string" },
      "mqtt-url": { type: "string" },
      "mqtt-username": { type: "string" },
      "mqtt-password": { type: "string" },
      "key-secret": { type: "string" },
      operator: { type: "boolean" },
      key: { type: "string" },
      "reader-key": { type: "string" },
      "replace-registrations": { type: "boolean" },
      turbines: { type: "string" },
      "per-turbine": { type: "boolean" },
      statistics: { type: "string" },
      "episodic-defects": { type: "string" },
      fleet: { type: "string" },
      seed: { type: "string" },
      weather: { type: "string" },
      "weather-key": { type: "string" },
      "weather-url": { type: "string" },
      knmi: { type: "string" },
      mode: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      step: { type: "string" },
      interval: { type: "string" },
      duration: { type: "string" },
      fail: { type: "string" },
      batch: { type: "string" },
      concurrency: { type: "string" },
      "max-attempts": { type: "string" },
      verify: { type: "boolean" },
      report: { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const mode = values.mode ?? "replay";
  if (mode !== "replay" && mode !== "realtime")
    throw new Error(`--mode must be replay or realtime, not "${mode}"`);
  if (values.fail !== undefined && mode !== "realtime") {
    throw new Error("--fail stops turbines of a realtime run: add --mode realtime");
  }
  const transport = values.transport ?? "http";
  if (transport !== "http" && transport !== "mqtt")
    throw new Error(`--transport must be http or mqtt, not "${transport}"`);
  if (transport === "http" && (values["mqtt-url"] ?? values["mqtt-username"])) {
    throw new Error("--mqtt-url and --mqtt-username are for --transport mqtt");
  }
  const weather = weatherChoice(values);
  const batch = whole(values.batch, "--batch");
  if (batch !== undefined && batch > 1000) throw new Error("--batch must be at most 1000");
  const controller = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write(
      "\nCtrl-C: finishing in-flight requests, then reporting (Ctrl-C again to quit now)\n",
    );
    controller.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  const now = systemClock.now();
  const options: SimulationOptions = {
    target: values.target ?? process.env.GUST_TARGET ?? "http://127.0.0.1:3000",
    transport,
    ...(transport === "mqtt"
      ? {
          mqttUrl: values["mqtt-url"] ?? (process.env.MQTT_URL || undefined),
          mqttUsername: values["mqtt-username"],
          mqttPassword: values["mqtt-password"],
        }
      : {}),
    mode,
    turbines: whole(values.turbines, "--turbines"),
    perTurbine: values["per-turbine"],
    statisticsMs:
      values.statistics === undefined ? undefined : duration(values.statistics, "--statistics"),
    episodicDefects: whole(values["episodic-defects"], "--episodic-defects"),
    fleetFile: values.fleet,
    weather,
    seed: whole(values.seed, "--seed"),
    from: values.from === undefined ? undefined : parseTimeFlag(values.from, "--from", now),
    to: values.to === undefined ? undefined : parseTimeFlag(values.to, "--to", now),
    stepMs: (positive(values.step, "--step") ?? 60) * 1000,
    intervalMs: (positive(values.interval, "--interval") ?? 1) * 1000,
    durationMs:
      values.duration === undefined
        ? undefined
        : (positive(values.duration, "--duration") ?? 0) * 1000,
    batch,
    fail: whole(values.fail, "--fail"),
    concurrency: whole(values.concurrency, "--concurrency"),
    maxAttempts: whole(values["max-attempts"], "--max-attempts"),
    keySecret: values["key-secret"] ?? process.env.API_KEY_SECRET ?? existingLocalSecret(),
    operator: values.operator,
    key: values.key,
    readerKey: values["reader-key"],
    replaceRegistrations: values["replace-registrations"],
    verify: values.verify,
    signal: controller.signal,
    out: process.stderr,
  };
  const report = await runSimulation(options);
  console.log(describeReport(report));
  if (values.report) {
    writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`  report: ${values.report}`);
  }
  const r = report.readings;
  const allAcknowledged = r.failed === 0 && Object.keys(r.rejected).length === 0;
  return allAcknowledged && (report.verification?.ok ?? true) ? 0 : 1;
}

function weatherChoice(values: {
  weather?: string;
  "weather-key"?: string;
  "weather-url"?: string;
  knmi?: string;
}): WeatherChoice {
  switch (values.weather ?? "synthetic") {
    case "synthetic":
      return { provider: "synthetic" };
    case "open-meteo":
      return { provider: "open-meteo", url: values["weather-url"] };
    case "openweathermap":
      return {
        provider: "openweathermap",
        apiKey: values["weather-key"] ?? process.env.OPENWEATHERMAP_API_KEY ?? "",
        url: values["weather-url"],
      };
    case "knmi":
      if (!values.knmi)
        throw new Error("--weather knmi needs --knmi PATH (KNMI uurgeg_*.txt files)");
      return { provider: "knmi", path: values.knmi };
    default:
      throw new Error(
        `--weather must be one of ${WEATHER_PROVIDERS.join(", ")}, not "${values.weather}"`,
      );
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`gust simulator: ${error.message}`);
    process.exit(2);
  },
);
