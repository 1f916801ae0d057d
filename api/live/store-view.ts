// What the fleet is doing now, read back from the store: Lambda keeps no live hub (each container
// sees only its own requests), so the scheduled alarm evaluation and the polled snapshot read the
// recent readings with the query layer, in whichever store is configured (Timestream, InfluxDB;
// DuckDB too). Two queries at most:
//   1. every reading of the last `windowMs` (default 15 min), all turbines, in time order: each
//      turbine's last reading, its reporting interval (the gaps) and what the rules replay;
//   2. only for turbines with fewer than two readings in that window (registered ones that went
//      quiet, slow reporters): the latest reading within 24 h and the count of the last 24 h,
//      whose mean gap stands in for the interval.
import { readingFromRow, renderReadingsQuery } from "../queries/readings.ts";
import { queryTarget } from "../queries/sql.ts";
import { RECENT_MS, renderTurbineStatusQuery } from "../queries/turbine-status.ts";
import type { Reading, ReadingStore } from "../store/port.ts";
import { placeOf, type RegistryEntry, type TurbinePlace } from "./places.ts";
import { nextIntervalMs } from "./silence.ts";
import type { LiveTurbine } from "./turbine.ts";

/** The readings window both queries look at by default: the alarms' freshness limit. */
export const DEFAULT_WINDOW_MS = 15 * 60_000;
/** A cap on the window query's rows (770 turbines at one reading a minute: 11,550). */
const MAX_WINDOW_ROWS = 200_000;

export interface StoreView {
  now: number;
  windowMs: number;
  /** Each turbine the store or the registry knows of with a reading within 24 h. */
  turbines: Map<string, LiveTurbine>;
  /** Each turbine's readings within the window, oldest first. */
  readings: Map<string, Reading[]>;
  /** Where each turbine is, from the registry (unknown for a turbine it does not describe). */
  places: Map<string, TurbinePlace>;
  /** How many readings the window holds. */
  windowReadings: number;
}

export interface StoreViewOptions {
  store: ReadingStore;
  listTurbines: () => Promise<readonly RegistryEntry[]>;
  now: number;
  windowMs?: number;
}

export async function readStoreView(options: StoreViewOptions): Promise<StoreView> {
  const { store, now } = options;
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const [registered, rows] = await Promise.all([
    options.listTurbines(),
    store.select(
      renderReadingsQuery(queryTarget(store), {
        from: now - windowMs,
        // A turbine's clock may run a little ahead; the store takes 15 minutes into the future.
        to: now + 15 * 60_000,
        limit: MAX_WINDOW_ROWS,
      }),
    ),
  ]);
  const places = new Map(registered.map((entry) => [entry.turbine_id, placeOf(entry)]));
  const place = (turbineId: string) => places.get(turbineId) ?? placeOf(null);

  const readings = new Map<string, Reading[]>();
  for (const row of rows) {
    const reading = storedReading(row);
    const list = readings.get(reading.turbine_id) ?? [];
    list.push(reading);
    readings.set(reading.turbine_id, list);
  }
  const turbines = new Map<string, LiveTurbine>();
  for (const [turbineId, list] of readings) {
    list.sort((a, b) => a.time - b.time);
    let intervalMs: number | null = null;
    for (let i = 1; i < list.length; i++) {
      intervalMs = nextIntervalMs(
        intervalMs,
        (list[i] as Reading).time - (list[i - 1] as Reading).time,
      );
    }
    const last = list.at(-1) as Reading;
    turbines.set(turbineId, {
      turbine_id: turbineId,
      place: place(turbineId),
      reading: last,
      intervalMs,
      // Lambda cannot know when a reading arrived: its own time stands in (no replay on a schedule).
      arrivedAt: last.time,
    });
  }

  const sparse = [
    ...new Set([
      ...registered.map((entry) => entry.turbine_id),
      ...[...readings].filter(([, list]) => list.length < 2).map(([id]) => id),
    ]),
  ].filter((id) => (readings.get(id)?.length ?? 0) < 2);
  if (sparse.length > 0) {
    const latest = await store.select(
      renderTurbineStatusQuery(queryTarget(store), {
        now,
        turbineIds: sparse,
        lookbackMs: RECENT_MS,
      }),
    );
    for (const row of latest) {
      const { readings_24h, ...rest } = row;
      const reading = storedReading(rest);
      const count = Number(readings_24h ?? 0);
      const known = turbines.get(reading.turbine_id);
      if (known && known.reading.time >= reading.time && known.intervalMs !== null) continue;
      turbines.set(reading.turbine_id, {
        turbine_id: reading.turbine_id,
        place: place(reading.turbine_id),
        reading: known && known.reading.time > reading.time ? known.reading : reading,
        // The mean gap over the last day: long for a turbine that was quiet part of it, which
        // errs towards a later silent alarm rather than a false one.
        intervalMs: count >= 2 ? RECENT_MS / count : null,
        arrivedAt: reading.time,
      });
    }
  }
  let windowReadings = 0;
  for (const list of readings.values()) windowReadings += list.length;
  return { now, windowMs, turbines, readings, places, windowReadings };
}

function storedReading(row: Parameters<typeof readingFromRow>[0]): Reading {
  const stored = readingFromRow(row);
  return { ...stored, time: Date.parse(stored.time) };
}
