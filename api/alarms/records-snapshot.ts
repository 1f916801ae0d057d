// GET /v1/live/snapshot on Lambda with an alarm table: the snapshot assembled from the turbines'
// last-seen records (last-seen.ts), the fleet power the scheduled evaluation keeps each minute,
// the registry and the open alarms: DynamoDB only, no query of the store of readings. Built at
// most once per `cacheMs` per container (default 10 s) and shared meanwhile, as the store's
// (api/live/store-snapshot.ts, which a deployment without an alarm table uses; snapshot-cache.ts).

import { placeOf, type RegistryEntry } from "../live/places.ts";
import { isSilent } from "../live/silence.ts";
import { type LiveSnapshot, liveSnapshot } from "../live/snapshot.ts";
import { cachedSnapshots } from "../live/snapshot-cache.ts";
import { DEFAULT_WINDOW_MS as HISTORY_MS } from "../live/store-view.ts";
import type { LiveTurbine } from "../live/turbine.ts";
import { RECENT_MS } from "../queries/turbine-status.ts";
import { type FleetPowerPoint, type LastSeenStore, liveTurbine } from "./last-seen.ts";
import type { AlarmStore } from "./store.ts";

export interface RecordSnapshotOptions {
  records: Pick<LastSeenStore, "all">;
  /** The fleet power the schedule kept, minute by minute since a time. */
  fleetPower(since: number): Promise<FleetPowerPoint[]>;
  listTurbines: () => Promise<readonly RegistryEntry[]>;
  alarms: Pick<AlarmStore, "openAlarms" | "lastSeq">;
  silentIntervals: number;
  cacheMs?: number;
  now?: () => number;
}

export function recordSnapshots(options: RecordSnapshotOptions): () => Promise<LiveSnapshot> {
  return cachedSnapshots((now) => fromRecords(options, now), options);
}

/** The snapshot from the last-seen records: each turbine's latest reading, as the schedule judges it. */
async function fromRecords(options: RecordSnapshotOptions, now: number): Promise<LiveSnapshot> {
  const [seen, registered, points, open, lastSeq] = await Promise.all([
    options.records.all(),
    options.listTurbines(),
    options.fleetPower(now - HISTORY_MS),
    options.alarms.openAlarms(),
    options.alarms.lastSeq(),
  ]);
  const places = new Map(registered.map((entry) => [entry.turbine_id, placeOf(entry)]));
  const turbines: LiveTurbine[] = [];
  let perSecond = 0;
  for (const [turbineId, record] of seen) {
    if (record.reading.time < now - RECENT_MS) continue;
    const turbine = liveTurbine(record, places.get(turbineId) ?? placeOf(null));
    turbines.push(turbine);
    // The fleet's reading rate from each reporting turbine's own interval.
    if (turbine.intervalMs && !isSilent(turbine, now, options.silentIntervals))
      perSecond += 1000 / turbine.intervalMs;
  }
  return liveSnapshot({
    now,
    lastEventId: String(lastSeq),
    turbines,
    isSilent: (turbine) => isSilent(turbine, now, options.silentIntervals),
    history: {
      bucket_seconds: 60,
      points: points.map((point) => ({ ...point, time: new Date(point.time).toISOString() })),
    },
    readingsPerSecond: Math.round(perSecond * 10) / 10,
    readingsTotal: Math.round(perSecond * (HISTORY_MS / 1000)),
    readingsSince: now - HISTORY_MS,
    openAlarms: open,
  });
}
