// The scheduled evaluation of the alarms, on Lambda: an EventBridge rule invokes the schedule
// function every minute, and this run
//   1. reads each turbine's last-seen record (last-seen.ts: its latest reading, interval
//      and the rules' state, kept by the write path), the registry for places, models and rated
//      power, the rejected readings counted in the last hour, and the open alarms: DynamoDB only,
//      no query of the store of readings;
//   2. applies the same rules as the local engine, through the same judge (judge.ts), to each
//      turbine's state as its record holds it;
//   3. stores what opened and closed (the DynamoDB store drops a change an overlapping run made
//      first, so an alarm is never opened twice), and the fleet's power of this minute for the
//      live view's history;
//   4. delivers the webhook events that are due, in sequence, until one fails or time runs out:
//      the rest wait in the outbox for the next run.
import { ALARM_RULES } from "../live/alarm.ts";
import { placeOf, type RegistryEntry } from "../live/places.ts";
import { isSilent } from "../live/silence.ts";
import type { LiveTurbine } from "../live/turbine.ts";
import { RECENT_MS } from "../queries/turbine-status.ts";
import { systemClock } from "../time/clock.ts";
import type { AlarmRules, WebhookConfig } from "./config.ts";
import type { RecentRejections } from "./dynamodb-store.ts";
import { OpenAlarms } from "./judge.ts";
import { type FleetPowerPoint, type LastSeenStore, liveTurbine } from "./last-seen.ts";
import { newAlarmState } from "./rules.ts";
import type { AlarmChange, AlarmStore } from "./store.ts";
import { deliverDue } from "./webhook.ts";

export interface ScheduledAlarmStore extends AlarmStore {
  recentRejections(now: number): Promise<Map<string, RecentRejections>>;
  /** Keeps the fleet's power of one minute, for the live view's history. */
  recordFleetPower(point: FleetPowerPoint): Promise<void>;
}

export interface ScheduledEvaluationOptions {
  lastSeen: Pick<LastSeenStore, "all">;
  listTurbines: () => Promise<readonly RegistryEntry[]>;
  alarms: ScheduledAlarmStore;
  rules: AlarmRules;
  webhook: WebhookConfig | null;
  now?: () => number;
  /** Webhook deliveries stop at this time (epoch ms): the invocation's own deadline. */
  deliverUntil: number;
}

export interface ScheduledEvaluation {
  /** Turbines judged: those with a reading in 24 h, rejected readings or an open alarm. */
  turbines: number;
  /** Turbines whose latest reading is fresh (within the rules' freshness limit). */
  reporting: number;
  opened: number;
  closed: number;
  delivered: number;
  /** Deliveries that failed this run (retried with backoff by a later run). */
  failed: number;
  /** Events still in the outbox after this run. */
  waiting: boolean;
}

export async function evaluateAlarmsOnSchedule(
  options: ScheduledEvaluationOptions,
): Promise<ScheduledEvaluation> {
  const clock = options.now ?? systemClock.now;
  const now = clock();
  const { rules } = options;
  const [seen, registered, rejections, open] = await Promise.all([
    options.lastSeen.all(),
    options.listTurbines(),
    options.alarms.recentRejections(now),
    options.alarms.openAlarms(),
  ]);
  const places = new Map(registered.map((entry) => [entry.turbine_id, placeOf(entry)]));
  const turbines = new Map<string, LiveTurbine>();
  for (const [turbineId, record] of seen) {
    if (record.reading.time < now - RECENT_MS) continue;
    turbines.set(turbineId, liveTurbine(record, places.get(turbineId) ?? placeOf(null)));
  }
  const alarms = new OpenAlarms(open);
  const turbineIds = new Set([
    ...turbines.keys(),
    ...rejections.keys(),
    ...open.map((alarm) => alarm.turbine_id),
  ]);
  const changes: AlarmChange[] = [];
  let reporting = 0;
  let powerKw = 0;
  for (const turbineId of turbineIds) {
    const turbine = turbines.get(turbineId);
    const record = seen.get(turbineId);
    const state = newAlarmState();
    if (record && turbine) {
      state.lastSeen = record.reading.time;
      state.faultSince = record.faultSince;
      state.underperforming = record.underperforming;
    }
    const rejected = rejections.get(turbineId);
    if (rejected) {
      state.rejections = rejected.times;
      state.lastRejection = rejected.last;
    }
    const silent = turbine !== undefined && isSilent(turbine, now, rules.silentIntervals);
    if (turbine && !silent && now - turbine.reading.time <= rules.maxReadingAgeMs) {
      reporting++;
      powerKw += turbine.reading.power_kw;
    }
    alarms.judge({ turbineId, turbine, state, silent, settings: rules, now }, ALARM_RULES, changes);
  }
  const [events] = await Promise.all([
    options.alarms.record(changes, options.webhook !== null),
    options.alarms.recordFleetPower({
      time: Math.floor(now / 60_000) * 60_000,
      power_kw: Math.round(powerKw * 10) / 10,
      turbines: reporting,
    }),
  ]);
  const delivery = options.webhook
    ? await deliverDue({ ...options.webhook, store: options.alarms }, clock, options.deliverUntil)
    : { delivered: 0, failed: 0, waiting: false };
  return {
    turbines: turbineIds.size,
    reporting,
    opened: events.filter((event) => event.kind === "opened").length,
    closed: events.filter((event) => event.kind === "closed").length,
    ...delivery,
  };
}
