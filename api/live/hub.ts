// The live hub: what the fleet is doing now, in this process's memory. Ingest hands it each
// answer's accepted readings (a push onto an array, nothing more); a timer applies them a few
// times a second, updates each turbine's last reading, the fleet's power now and per province and
// project, readings per second and the fleet power history, and tells the subscribers (the SSE
// streams and the alarm engine) once per batch.

import { log } from "../log.ts";
import type { FleetMinute } from "../queries/fleet-minutes.ts";
import type { Reading } from "../store/port.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/clock.ts";
import type { AlarmEvent } from "./alarm.ts";
import { FleetPowerHistory } from "./history.ts";
import type { TurbinePlace, TurbinePlaces } from "./places.ts";
import { isSilent, nextIntervalMs } from "./silence.ts";
import { type FleetRow, fleetJson, groupPower, liveSnapshotJson, turbineJson } from "./snapshot.ts";
import type { LiveTurbine } from "./turbine.ts";

export interface LiveHubOptions {
  places: TurbinePlaces;
  clock?: Clock;
  /** How often pending readings are applied and an update goes out (default 250 ms). */
  batchMs?: number;
  /** A turbine is silent (and leaves "power now") after this many of its own intervals. */
  silentAfterIntervals?: number;
  /** Assumed reporting interval until a turbine has sent two readings (default 60 s). */
  defaultIntervalMs?: number;
  historyHours?: number;
}

export interface LiveUpdate {
  type: "update";
  time: number;
  turbines: LiveTurbine[];
  /** Every reading the batch applied, in arrival order (the alarm rules count them). */
  readings: Reading[];
  /** The update event's JSON, built once however many streams send it. */
  json(): string;
}

export type LiveEvent = LiveUpdate | { type: "alarm"; event: AlarmEvent } | { type: "closing" };

/** Readings per second are counted over this many one-second slots. */
const RATE_WINDOW_S = 10;
/** A snapshot is served again until the fleet changes, or for this long when it does not. */
const SNAPSHOT_MAX_AGE_MS = 1_000;

export class LiveHub {
  private readonly now: () => number;
  private readonly places: TurbinePlaces;
  private readonly turbines = new Map<string, LiveTurbine>();
  private pending: Reading[] = [];
  private timer: TimerHandle | null = null;
  /** The server's clock: streams of this hub time their keepalives on it too. */
  readonly clock: Clock;
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private readonly history: FleetPowerHistory;
  private readonly slots = new Map<number, number>();
  private readingsTotal = 0;
  /** When this hub began counting readings_total: the server's start. */
  private readonly startedAt: number;
  private lastAlarmSeq = 0;
  private placesVersion = 0;
  /** Each turbine's silence as the streams were last told it. */
  private readonly sentSilent = new Map<string, boolean>();
  private readonly openAlarms = new Map<string, AlarmEvent["alarm"]>();
  /** Bumped whenever what a snapshot shows changes (an update, an alarm). */
  private version = 0;
  private snapshotCache: { version: number; builtAt: number; json: string } | null = null;
  /** Turbine ids in order, for the snapshot; null when a turbine was added since. */
  private sortedIds: string[] | null = null;
  readonly batchMs: number;
  readonly silentAfterIntervals: number;
  readonly defaultIntervalMs: number;

  constructor(options: LiveHubOptions) {
    this.clock = options.clock ?? systemClock;
    this.now = this.clock.now;
    this.startedAt = this.now();
    this.places = options.places;
    this.batchMs = options.batchMs ?? 250;
    this.silentAfterIntervals = options.silentAfterIntervals ?? 5;
    this.defaultIntervalMs = options.defaultIntervalMs ?? 60_000;
    this.history = new FleetPowerHistory((options.historyHours ?? 6) * 3_600_000);
  }

  /** The power history's span, for seeding it from the store at a start. */
  get historySpanMs(): number {
    return this.history.spanMs;
  }

  /** Starts the power history with the store's minutes (before any reading arrives). */
  seedHistory(minutes: readonly FleetMinute[]): void {
    this.history.seed(minutes, this.now());
  }

  /** The ingest hook: O(1) per answer, no allocation but the push. */
  accept(readings: Reading[]): void {
    for (const reading of readings) this.pending.push(reading);
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.batchMs);
  }

  /** Applies what is pending now (the timer calls it; tests and shutdown may too). */
  flush(): void {
    this.clock.clear(this.timer);
    this.timer = null;
    const readings = this.pending;
    if (readings.length === 0) return;
    this.pending = [];
    void this.places.refresh();
    const now = this.now();
    const second = Math.floor(now / 1000);
    this.slots.set(second, (this.slots.get(second) ?? 0) + readings.length);
    this.readingsTotal += readings.length;
    const changed = new Map<string, LiveTurbine>();
    for (const reading of readings) {
      this.places.observe(reading);
      this.history.add(reading, now);
      const known = this.turbines.get(reading.turbine_id);
      if (known && reading.time < known.reading.time) continue; // a late reading is not "last"
      const intervalMs = known
        ? nextIntervalMs(known.intervalMs, reading.time - known.reading.time)
        : null;
      if (!known) this.sortedIds = null;
      const turbine: LiveTurbine = {
        turbine_id: reading.turbine_id,
        place: this.places.get(reading.turbine_id),
        reading,
        intervalMs,
        arrivedAt: now,
      };
      this.turbines.set(reading.turbine_id, turbine);
      changed.set(reading.turbine_id, turbine);
    }
    if (this.places.version !== this.placesVersion) {
      // The registry was read again: the turbines whose place changed go out, even those that
      // sent nothing new (each load makes new place objects: they are compared by value).
      this.placesVersion = this.places.version;
      for (const turbine of this.turbines.values()) {
        const place = this.places.get(turbine.turbine_id);
        if (!samePlace(place, turbine.place)) changed.set(turbine.turbine_id, turbine);
        turbine.place = place;
      }
    }
    this.emitUpdate(now, changed, readings);
  }

  /**
   * Turbines that went silent (or came back) since streams last heard of them, as an update:
   * silence comes with the clock, not with a reading. The alarm engine's sweep calls it.
   */
  checkSilence(now = this.now()): void {
    const changed = new Map<string, LiveTurbine>();
    for (const turbine of this.turbines.values()) {
      if (this.isSilent(turbine, now) !== this.sentSilent.get(turbine.turbine_id)) {
        changed.set(turbine.turbine_id, turbine);
      }
    }
    if (changed.size > 0) this.emitUpdate(now, changed, []);
  }

  private emitUpdate(now: number, changed: Map<string, LiveTurbine>, readings: Reading[]): void {
    this.version++;
    const turbines = [...changed.values()];
    for (const turbine of turbines) {
      this.sentSilent.set(turbine.turbine_id, this.isSilent(turbine, now));
    }
    let json: string | undefined;
    const update: LiveUpdate = {
      type: "update",
      time: now,
      turbines,
      readings,
      json: () => {
        json ??= this.updateJson(now, turbines);
        return json;
      },
    };
    this.emit(update);
  }

  /** Alarm events from the alarm engine, in their sequence, to every stream. */
  publishAlarm(event: AlarmEvent): void {
    this.lastAlarmSeq = Math.max(this.lastAlarmSeq, event.seq);
    this.version++;
    if (event.kind === "opened") this.openAlarms.set(event.alarm.id, event.alarm);
    else this.openAlarms.delete(event.alarm.id);
    this.emit({ type: "alarm", event });
  }

  /** The alarms open at start (from the alarm store), before any event. */
  seedAlarms(open: readonly AlarmEvent["alarm"][], lastSeq: number): void {
    for (const alarm of open) this.openAlarms.set(alarm.id, alarm);
    this.lastAlarmSeq = Math.max(this.lastAlarmSeq, lastSeq);
    this.version++;
  }

  get alarmSeq(): number {
    return this.lastAlarmSeq;
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  turbine(turbineId: string): LiveTurbine | undefined {
    return this.turbines.get(turbineId);
  }

  allTurbines(): IterableIterator<LiveTurbine> {
    return this.turbines.values();
  }

  /** Has the turbine been quiet for more than `intervals` of its own reporting intervals? */
  isSilent(turbine: LiveTurbine, now = this.now(), intervals = this.silentAfterIntervals): boolean {
    return isSilent(turbine, now, intervals, this.defaultIntervalMs);
  }

  readingsPerSecond(now = this.now()): number {
    const current = Math.floor(now / 1000);
    let count = 0;
    for (const [second, n] of this.slots) {
      if (second <= current - RATE_WINDOW_S) this.slots.delete(second);
      else if (second < current) count += n;
    }
    return Math.round((count / (RATE_WINDOW_S - 1)) * 10) / 10;
  }

  /**
   * Everything a client needs to draw the live view, as JSON: built once for every client that
   * asks until the fleet changes (at most once a batch), and from each turbine's kept row.
   */
  snapshotJson(now = this.now()): string {
    const cached = this.snapshotCache;
    if (cached && cached.version === this.version && now - cached.builtAt < SNAPSHOT_MAX_AGE_MS) {
      return cached.json;
    }
    this.sortedIds ??= [...this.turbines.keys()].sort();
    const rows: FleetRow[] = [];
    const rowJson: string[] = [];
    for (const id of this.sortedIds) {
      const turbine = this.turbines.get(id) as LiveTurbine;
      const silent = this.isSilent(turbine, now);
      rows.push(this.fleetRow(turbine, silent));
      rowJson.push(this.rowJson(turbine, silent));
    }
    const json = liveSnapshotJson({
      now,
      lastEventId: this.eventId(),
      rows,
      rowJson,
      history: { bucket_seconds: this.history.bucketMs / 1000, points: this.history.points(now) },
      readingsPerSecond: this.readingsPerSecond(now),
      readingsTotal: this.readingsTotal,
      readingsSince: this.startedAt,
      openAlarms: [...this.openAlarms.values()],
    });
    this.snapshotCache = { version: this.version, builtAt: now, json };
    return json;
  }

  /** An update event's body: the fleet now, and the turbines that changed in the batch. */
  private updateJson(now: number, changed: LiveTurbine[]): string {
    const rows: FleetRow[] = [];
    for (const turbine of this.turbines.values()) {
      rows.push(this.fleetRow(turbine, this.isSilent(turbine, now)));
    }
    const head = JSON.stringify({
      time: new Date(now).toISOString(),
      fleet: this.fleetJson(rows, now),
      provinces: groupPower(rows, "province"),
      history: this.history.points(now).slice(-2),
    });
    const turbines = changed.map((turbine) => this.rowJson(turbine, this.isSilent(turbine, now)));
    return `${head.slice(0, -1)},"turbines":[${turbines.join(",")}]}`;
  }

  /** What the fleet's sums need of a turbine, without building its row. */
  private fleetRow(turbine: LiveTurbine, silent: boolean): FleetRow {
    const place = this.places.get(turbine.turbine_id);
    return {
      silent,
      power_kw: turbine.reading.power_kw,
      rated_kw: place.rated_kw,
      province: place.province,
      project: place.project,
    };
  }

  /** The turbine's row as JSON, made again only when its reading, place or silence changed. */
  private rowJson(turbine: LiveTurbine, silent: boolean): string {
    const place = this.places.get(turbine.turbine_id);
    const kept = turbine.json;
    if (kept && kept.silent === silent && kept.place === place) return kept.text;
    const text = JSON.stringify(turbineJson({ ...turbine, place }, silent));
    turbine.json = { text, silent, place };
    return text;
  }

  /** The SSE id: the sequence number of the last alarm event the client has been sent. */
  eventId(): string {
    return String(this.lastAlarmSeq);
  }

  private fleetJson(rows: FleetRow[], now: number) {
    return fleetJson(rows, {
      readingsPerSecond: this.readingsPerSecond(now),
      readingsTotal: this.readingsTotal,
      readingsSince: this.startedAt,
      openAlarms: this.openAlarms.size,
    });
  }

  private emit(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error("a live subscriber failed", error as Error);
      }
    }
  }

  /** The server is stopping: every stream ends (EventSource reconnects to the next one). */
  endStreams(): void {
    this.emit({ type: "closing" });
  }

  close(): void {
    this.flush();
    this.listeners.clear();
  }
}

function samePlace(a: TurbinePlace, b: TurbinePlace): boolean {
  return (
    a === b ||
    (a.project === b.project &&
      a.province === b.province &&
      a.model === b.model &&
      a.rated_kw === b.rated_kw &&
      a.latitude === b.latitude &&
      a.longitude === b.longitude)
  );
}
