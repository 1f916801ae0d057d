// GET /v1/live/snapshot on Lambda: the snapshot assembled from the store (store-view.ts: the
// readings of the last 15 minutes), the registry and the open alarms of the alarm table, instead
// of the local hub's memory. Built at most once per `cacheMs` per container (default 10 s), and
// shared by the requests that arrive meanwhile: a page polling every few seconds costs the store
// one read of the window per container per 10 s, and sees the fleet at most that much late
// (plus the store's own visibility delay).

import type { ReadingStore } from "../store/port.ts";
import type { Alarm } from "./alarm.ts";
import { FleetPowerHistory } from "./history.ts";
import type { RegistryEntry } from "./places.ts";
import { isSilent } from "./silence.ts";
import { type LiveSnapshot, liveSnapshot } from "./snapshot.ts";
import { cachedSnapshots } from "./snapshot-cache.ts";
import { readStoreView } from "./store-view.ts";

export interface StoreSnapshotOptions {
  store: ReadingStore;
  listTurbines: () => Promise<readonly RegistryEntry[]>;
  /** The alarm table; without one, the snapshot has no alarms. */
  alarms?: { openAlarms(): Promise<Alarm[]>; lastSeq(): Promise<number> };
  silentIntervals: number;
  cacheMs?: number;
  now?: () => number;
}

export function storeSnapshots(options: StoreSnapshotOptions): () => Promise<LiveSnapshot> {
  return cachedSnapshots((now) => build(options, now), options);
}

async function build(options: StoreSnapshotOptions, now: number): Promise<LiveSnapshot> {
  const [view, open, lastSeq] = await Promise.all([
    readStoreView({ store: options.store, listTurbines: options.listTurbines, now }),
    options.alarms?.openAlarms() ?? Promise.resolve([] as Alarm[]),
    options.alarms?.lastSeq() ?? Promise.resolve(0),
  ]);
  const history = new FleetPowerHistory(view.windowMs);
  for (const readings of view.readings.values()) {
    for (const reading of readings) history.add(reading, now);
  }
  return liveSnapshot({
    now,
    lastEventId: String(lastSeq),
    turbines: [...view.turbines.values()],
    isSilent: (turbine) => isSilent(turbine, now, options.silentIntervals),
    history: { bucket_seconds: history.bucketMs / 1000, points: history.points(now) },
    // On Lambda: the window's readings (15 min) and their mean rate, by reading time.
    readingsPerSecond: Math.round((view.windowReadings / (view.windowMs / 1000)) * 10) / 10,
    readingsTotal: view.windowReadings,
    readingsSince: now - view.windowMs,
    openAlarms: open,
  });
}
