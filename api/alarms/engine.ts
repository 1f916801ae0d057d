// The alarm engine of the local server: applies the rules (rules.ts, through judge.ts, which the
// scheduled evaluation on Lambda shares) to what the live hub sees and to rejected readings,
// opens and closes alarms, stores each change with its event (and webhook outbox row)
// in one commit, then tells the hub (streams) and the notifier. It runs on the hub's batch timer
// and a sweep timer, never on the ingest path.

import { ALARM_RULES, type AlarmEvent, type AlarmRule } from "../live/alarm.ts";
import type { LiveHub } from "../live/hub.ts";
import type { LiveTurbine } from "../live/turbine.ts";
import { log } from "../log.ts";
import type { ReadingRejection } from "../readings/rejection.ts";
import type { Reading } from "../store/port.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/clock.ts";
import type { AlarmRules } from "./config.ts";
import { OpenAlarms } from "./judge.ts";
import { newAlarmState, observeReading, type TurbineAlarmState } from "./rules.ts";
import type { AlarmChange, AlarmStore } from "./store.ts";

export interface AlarmEngineOptions {
  store: AlarmStore;
  hub: LiveHub;
  rules: AlarmRules;
  clock?: Clock;
  /** Write an outbox row per event (a webhook is configured). */
  notify: boolean;
  /** After each stored batch of events (the webhook notifier wakes up). */
  onEvents?: (events: AlarmEvent[]) => void;
  /** How often every turbine is checked for silence and old rejections (default 5 s). */
  sweepMs?: number;
}

export class AlarmEngine {
  private open = new OpenAlarms();
  private readonly states = new Map<string, TurbineAlarmState>();
  private readonly now: () => number;
  private chain: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  private sweeper: TimerHandle | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: AlarmEngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.now = this.clock.now;
  }

  async start(): Promise<void> {
    const open = await this.options.store.openAlarms();
    this.open = new OpenAlarms(open);
    this.options.hub.seedAlarms(open, await this.options.store.lastSeq());
    this.unsubscribe = this.options.hub.subscribe((event) => {
      if (event.type === "update") this.observe(event.turbines, event.readings);
    });
    this.sweeper = this.clock.setInterval(() => this.sweep(), this.options.sweepMs ?? 5000);
    this.sweeper.unref();
  }

  /** A hub batch: the turbines whose last reading changed, and every reading applied. */
  observe(turbines: readonly LiveTurbine[], readings: readonly Reading[]): void {
    const now = this.now();
    const changes: AlarmChange[] = [];
    const sorted = [...readings].sort((a, b) => a.time - b.time);
    for (const reading of sorted) {
      const place = this.options.hub.turbine(reading.turbine_id)?.place;
      if (place) observeReading(this.state(reading.turbine_id), reading, place, this.options.rules);
    }
    for (const turbine of turbines) {
      const state = this.state(turbine.turbine_id);
      this.judge(turbine.turbine_id, turbine, state, now, ALARM_RULES, changes);
    }
    this.commit(changes);
  }

  /** Readings of an answer that were rejected (the ingest hook). */
  rejected(rejections: readonly ReadingRejection[]): void {
    const now = this.now();
    const changes: AlarmChange[] = [];
    for (const rejection of rejections) {
      const state = this.state(rejection.turbine_id);
      state.rejections.push(now);
      state.lastRejection = {
        turbine_id: rejection.turbine_id,
        time: new Date(rejection.time).toISOString(),
        reason: rejection.reason,
      };
    }
    for (const turbineId of new Set(rejections.map((r) => r.turbine_id))) {
      const state = this.state(turbineId);
      this.judge(
        turbineId,
        this.options.hub.turbine(turbineId),
        state,
        now,
        ["rejections"],
        changes,
      );
    }
    this.commit(changes);
  }

  /** Silence and expired rejections are judged on the clock: every turbine, every few seconds. */
  sweep(): void {
    const now = this.now();
    this.options.hub.checkSilence(now);
    const changes: AlarmChange[] = [];
    for (const turbine of this.options.hub.allTurbines()) {
      const state = this.state(turbine.turbine_id);
      // Fault too: a fault whose turbine stopped reporting closes with time (rules.ts).
      this.judge(
        turbine.turbine_id,
        turbine,
        state,
        now,
        ["silent", "rejections", "fault"],
        changes,
      );
    }
    this.commit(changes);
  }

  /** Waits until every change so far is stored and published. */
  settled(): Promise<void> {
    return this.chain;
  }

  async stop(): Promise<void> {
    this.clock.clear(this.sweeper);
    this.unsubscribe?.();
    await this.chain;
  }

  private state(turbineId: string): TurbineAlarmState {
    let state = this.states.get(turbineId);
    if (!state) {
      state = newAlarmState();
      this.states.set(turbineId, state);
    }
    return state;
  }

  /** `turbine` is undefined for one the hub has no reading of (only rejected ones so far). */
  private judge(
    turbineId: string,
    turbine: LiveTurbine | undefined,
    state: TurbineAlarmState,
    now: number,
    rules: readonly AlarmRule[],
    changes: AlarmChange[],
  ): void {
    const silent =
      turbine !== undefined &&
      this.options.hub.isSilent(turbine, now, this.options.rules.silentIntervals);
    this.open.judge(
      { turbineId, turbine, state, silent, settings: this.options.rules, now },
      rules,
      changes,
    );
  }

  private commit(changes: AlarmChange[]): void {
    if (changes.length === 0) return;
    this.chain = this.chain
      .then(() => this.options.store.record(changes, this.options.notify))
      .then((events) => {
        for (const event of events) this.options.hub.publishAlarm(event);
        this.options.onEvents?.(events);
      })
      .catch((error: unknown) => {
        log.error("could not store alarm changes", error as Error);
      });
  }
}
