// The scheduled evaluation of the alarms, on Lambda: an EventBridge rule invokes the API
// function every minute with a Scheduled Event (api/lambda-handler.ts), and this run
//   1. reads the fleet back from the store (api/live/store-view.ts: the readings of the last
//      15 minutes, and the latest of turbines that sent fewer than two), the registry for places,
//      models and rated power, the rejected readings counted in the last hour, the open alarms;
//   2. applies the same rules as the local engine, through the same judge (judge.ts), replaying
//      each turbine's readings of the window into a fresh state (rules.ts);
//   3. stores what opened and closed (the DynamoDB store drops a change an overlapping run made
//      first, so an alarm is never opened twice);
//   4. delivers the webhook events that are due, in sequence, until one fails or time runs out:
//      the rest wait in the outbox for the next run.

import { ALARM_RULES } from "../live/alarm.ts";
import { placeOf, type RegistryEntry } from "../live/places.ts";
import { isSilent } from "../live/silence.ts";
import { DEFAULT_WINDOW_MS, readStoreView } from "../live/store-view.ts";
import type { ReadingStore } from "../store/port.ts";
import { systemClock } from "../time/clock.ts";
import type { AlarmRules, WebhookConfig } from "./config.ts";
import type { RecentRejections } from "./dynamodb-store.ts";
import { OpenAlarms } from "./judge.ts";
import { newAlarmState, observeReading } from "./rules.ts";
import type { AlarmChange, AlarmStore } from "./store.ts";
import { deliverDue } from "./webhook.ts";

export interface ScheduledAlarmStore extends AlarmStore {
  recentRejections(now: number): Promise<Map<string, RecentRejections>>;
}

export interface ScheduledEvaluationOptions {
  store: ReadingStore;
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
  /** Readings of the window the rules replayed. */
  readings: number;
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
  // Long enough to see a fault's whole required duration, and never shorter than the freshness
  // limit past which readings open or close nothing.
  const windowMs = Math.max(DEFAULT_WINDOW_MS, rules.maxReadingAgeMs + rules.faultMs);
  const [view, rejections, open] = await Promise.all([
    readStoreView({ store: options.store, listTurbines: options.listTurbines, now, windowMs }),
    options.alarms.recentRejections(now),
    options.alarms.openAlarms(),
  ]);
  const alarms = new OpenAlarms(open);
  const turbineIds = new Set([
    ...view.turbines.keys(),
    ...rejections.keys(),
    ...open.map((alarm) => alarm.turbine_id),
  ]);
  const changes: AlarmChange[] = [];
  for (const turbineId of turbineIds) {
    const turbine = view.turbines.get(turbineId);
    const state = newAlarmState();
    const place = view.places.get(turbineId) ?? placeOf(null);
    for (const reading of view.readings.get(turbineId) ?? []) {
      observeReading(state, reading, place, rules);
    }
    const rejected = rejections.get(turbineId);
    if (rejected) {
      state.rejections = rejected.times;
      state.lastRejection = rejected.last;
    }
    const silent = turbine !== undefined && isSilent(turbine, now, rules.silentIntervals);
    alarms.judge({ turbineId, turbine, state, silent, settings: rules, now }, ALARM_RULES, changes);
  }
  const events = await options.alarms.record(changes, options.webhook !== null);
  const delivery = options.webhook
    ? await deliverDue({ ...options.webhook, store: options.alarms }, clock, options.deliverUntil)
    : { delivered: 0, failed: 0, waiting: false };
  return {
    turbines: turbineIds.size,
    readings: view.windowReadings,
    opened: events.filter((event) => event.kind === "opened").length,
    closed: events.filter((event) => event.kind === "closed").length,
    ...delivery,
  };
}
