// The local server's live feed, assembled: the hub fed by the ingest hook, the alarm engine on
// the hub, the alarms in the DuckDB file, and the webhook notifier on the outbox. Returns what
// createApp needs (the hooks, the live view, the alarm list) and how to stop it all.
import type { DuckDBConnection } from "@duckdb/node-api";
import { readAlarmRules, readWebhookConfig } from "./alarms/config.ts";
import { openDuckDbAlarmStore } from "./alarms/duckdb-store.ts";
import { AlarmEngine } from "./alarms/engine.ts";
import type { AlarmStore } from "./alarms/store.ts";
import { WebhookNotifier } from "./alarms/webhook.ts";
import { LiveHub } from "./live/hub.ts";
import { type RegistryEntry, TurbinePlaces } from "./live/places.ts";
import { type LiveLimits, LiveStreams } from "./live/stream.ts";
import { log } from "./log.ts";
import type { FleetMinute } from "./queries/fleet-minutes.ts";
import type { AppDeps } from "./routes/deps.ts";
import { type Clock, systemClock } from "./time/clock.ts";

export interface LiveFeedOptions {
  connect: () => Promise<DuckDBConnection>;
  /** The fleet registry's list, once it exists (turbine places for the map and the rules). */
  listTurbines?: () => Promise<readonly RegistryEntry[]>;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** The store's fleet minutes of a period, which the power history starts with. */
  fleetMinutes?: (range: { from: number; to: number }) => Promise<FleetMinute[]>;
  /** Overrides for tests: batch interval and alarm sweep. */
  batchMs?: number;
  sweepMs?: number;
  /** Caps on live streams (default DEFAULT_LIVE_LIMITS). */
  liveLimits?: Partial<LiveLimits>;
}

export interface LiveFeed {
  hub: LiveHub;
  streams: LiveStreams;
  engine: AlarmEngine;
  alarms: AlarmStore;
  notifier: WebhookNotifier | null;
  deps: Pick<AppDeps, "onReadingsStored" | "onReadingsRejected" | "live" | "alarms">;
  close(): Promise<void>;
}

export async function startLiveFeed(options: LiveFeedOptions): Promise<LiveFeed> {
  const env = options.env ?? process.env;
  const rules = readAlarmRules(env);
  const webhook = readWebhookConfig(env);
  const clock = options.clock ?? systemClock;
  const places = new TurbinePlaces(options.listTurbines, clock.now);
  await places.refresh(true);
  const hub = new LiveHub({
    places,
    clock,
    batchMs: options.batchMs,
    silentAfterIntervals: rules.silentIntervals,
  });
  if (options.fleetMinutes) {
    const at = clock.now();
    hub.seedHistory(
      await options.fleetMinutes({ from: at - hub.historySpanMs, to: at + 15 * 60_000 }),
    );
  }
  const alarms = await openDuckDbAlarmStore(await options.connect());
  const notifier = webhook ? new WebhookNotifier({ ...webhook, store: alarms, clock }) : null;
  const engine = new AlarmEngine({
    store: alarms,
    hub,
    rules,
    clock,
    notify: notifier !== null,
    onEvents: () => notifier?.kick(),
    sweepMs: options.sweepMs,
  });
  await engine.start();
  notifier?.start();
  const streams = new LiveStreams(
    hub,
    (seq) => alarms.eventsSince(seq),
    options.liveLimits,
    () => log.warn("dropped a live stream client that could not keep up"),
  );
  return {
    hub,
    streams,
    engine,
    alarms,
    notifier,
    deps: {
      onReadingsStored: (readings) => hub.accept(readings),
      onReadingsRejected: (rejections) => engine.rejected(rejections),
      live: {
        streams,
        snapshot: async () => hub.snapshotJson(),
        alarmEventsSince: (seq) => alarms.eventsSince(seq),
      },
      alarms,
    },
    async close() {
      streams.close();
      hub.close();
      await engine.stop();
      await notifier?.stop();
      await alarms.close();
    },
  };
}
