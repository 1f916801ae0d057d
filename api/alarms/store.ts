// Where alarms are kept: the port. Two implementations beside it: DuckDB tables in the local
// server's file (duckdb-store.ts) and a DynamoDB table on Lambda (dynamodb-store.ts). Each keeps
//   the alarms    one per alarm (times as epoch ms), closed_at null while open, at most one open
//                 per turbine and rule
//   the events    opened/closed in one sequence (1, 2, 3...): what a resumed live stream replays
//   the outbox    events not yet delivered to ALARM_WEBHOOK_URL, with their retry schedule,
//                 written in the same commit as the event, so a crash loses nothing
import type { Alarm, AlarmEvent, AlarmEventKind } from "../live/alarm.ts";

export type AlarmRecord = Alarm;

export interface AlarmQuery {
  state?: "open" | "closed";
  turbineId?: string;
  /** Alarms open at any moment in [from, to), epoch ms. */
  from?: number;
  to?: number;
  /**
   * Only alarms after this one in the listing's order (newest first: opened_at descending, then
   * id descending), for the next page.
   */
  after?: { openedAt: number; id: string };
  limit: number;
}

export interface AlarmChange {
  kind: AlarmEventKind;
  alarm: Alarm;
}

export interface OutboxEntry {
  event: AlarmEvent;
  attempts: number;
  nextAttemptAt: number;
}

export interface AlarmStore {
  openAlarms(): Promise<Alarm[]>;
  lastSeq(): Promise<number>;
  /**
   * Stores the changes and their events in one commit; outbox rows too when `notify`. Answers
   * the events stored: a change another evaluator already made (an alarm opened or closed by an
   * overlapping scheduled run) is left out, never stored twice.
   */
  record(changes: AlarmChange[], notify: boolean): Promise<AlarmEvent[]>;
  /** Newest first (opened_at, then id, both descending), at most `limit`. */
  list(query: AlarmQuery): Promise<Alarm[]>;
  eventsSince(seq: number, limit?: number): Promise<AlarmEvent[]>;
  /** The oldest undelivered webhook event, if any. */
  outboxHead(): Promise<OutboxEntry | null>;
  delivered(seq: number): Promise<void>;
  failed(seq: number, attempts: number, nextAttemptAt: number, error: string): Promise<void>;
  close(): Promise<void>;
}
