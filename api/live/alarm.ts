// An alarm: a rule that holds for one turbine, from when it opened until it closed. Its events
// (opened, closed) are numbered in one sequence: the live stream resumes by that number and the
// webhook outbox delivers in that order. The live view holds the open alarms and streams their
// events, so the value is the live view's; the alarms (api/alarms) judge, store and deliver it.

export const ALARM_RULES = ["silent", "fault", "underperforming", "rejections"] as const;
export type AlarmRule = (typeof ALARM_RULES)[number];

export interface Alarm {
  id: string;
  turbine_id: string;
  rule: AlarmRule;
  /** Epoch ms. */
  opened_at: number;
  /** Epoch ms; null while open. */
  closed_at: number | null;
  /** What the rule saw, in words, e.g. "no reading for 6 min (5 of its 60 s intervals)". */
  detail: string;
  /** The reading that opened it (time as ISO), or the rejected reading's identity and reason. */
  reading: Record<string, unknown> | null;
}

export type AlarmEventKind = "opened" | "closed";

export interface AlarmEvent {
  /** 1, 2, 3... across every alarm, never reused. */
  seq: number;
  kind: AlarmEventKind;
  /** Epoch ms: opened_at or closed_at. */
  time: number;
  alarm: Alarm;
}

/** An alarm as JSON answers carry it: times as RFC 3339. */
export function alarmJson(alarm: Alarm) {
  return {
    id: alarm.id,
    turbine_id: alarm.turbine_id,
    rule: alarm.rule,
    opened_at: new Date(alarm.opened_at).toISOString(),
    closed_at: alarm.closed_at === null ? null : new Date(alarm.closed_at).toISOString(),
    detail: alarm.detail,
    reading: alarm.reading,
  };
}

export function alarmEventJson(event: AlarmEvent) {
  return {
    seq: event.seq,
    kind: event.kind,
    time: new Date(event.time).toISOString(),
    alarm: alarmJson(event.alarm),
  };
}
