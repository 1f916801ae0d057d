// The alarm store on Lambda: one DynamoDB table (infra/alarm-table.ts), partition key `pk` and
// sort key `sk`, both strings, holding every kind of item the port (store.ts) needs:
//
//   pk "seq"        sk "events"               seq: the last event's number (the sequence)
//   pk "open"       sk "<rule>#<turbine_id>"  the open alarm of that turbine and rule (JSON); at
//                                              most one, by a conditional put
//   pk "alarm"      sk "<opened_at>#<id>"     every alarm (JSON, closed_at once closed), newest
//                                              last in sort order: GET /v1/alarms reads backwards
//   pk "event"      sk "<seq>"                each event with its alarm as it was then
//   pk "outbox"     sk "<seq>"                undelivered webhook events, with their retry schedule
//   pk "seen"       sk "<turbine_id>"          its last-seen record (dynamodb-last-seen.ts), kept by
//                                              the write path; TTL 30 days
//   pk "power"      sk "<minute>"              the fleet's power that minute, kept by the schedule
//                                              for the live view's history; TTL 2 h
//   pk "rejections#<hour>"  sk "<turbine_id>#<minute>"  rejected readings counted per turbine and
//                                              minute (ADD), deleted by TTL (expires_at) after 2 h
//
// Numbers in sort keys are zero-padded so that string order is number order. Each change is
// written in one transaction with its event, its outbox item and the sequence counter, whose
// condition (`seq = :last`) serializes concurrent writers; the `open` item's condition
// (attribute_not_exists on open, the same alarm id on close) is what keeps two overlapping
// scheduled runs from opening the same alarm twice: the second one's change is dropped.
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Alarm, AlarmEvent } from "../live/alarm.ts";
import type { ReadingRejection } from "../readings/rejection.ts";
import { StoreUnavailableError } from "../store/port.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import { beforeDeadline } from "../time/deadline.ts";
import type { FleetPowerPoint } from "./last-seen.ts";
import type { AlarmChange, AlarmQuery, AlarmStore, OutboxEntry } from "./store.ts";

type Item = Record<string, AttributeValue>;

/** Changes per transaction: 4 items each and the counter stay under DynamoDB's 100 items. */
const CHANGES_PER_TRANSACTION = 20;
/** A concurrent writer took the sequence: read it again and retry, this many times. */
const MAX_SEQUENCE_RETRIES = 10;
/** Rejection counters live two hours: the rule looks back one. */
const REJECTIONS_TTL_S = 2 * 3600;

const HOUR_MS = 3_600_000;
/** The live view's history shows 15 minutes; the points live two hours. */
const POWER_TTL_S = 2 * 3600;

/** Rejected readings of the last hour, per turbine, as the rejections rule reads them. */
export interface RecentRejections {
  /** Each rejection's minute (epoch ms), oldest first. */
  times: number[];
  /** The latest rejected reading's identity and reason. */
  last: Record<string, unknown> | null;
}

/**
 * What the API function reads and counts (GET /v1/alarms, the snapshot, the ingest hook): kept
 * apart from the writes of the scheduled evaluation so that the API's bundle carries only this.
 */
export class DynamoDbAlarmReader {
  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly table: string,
    protected readonly clock: Clock = systemClock,
  ) {}

  /**
   * Runs a DynamoDB call before the request's deadline (store/deadline.ts). DynamoDB's answers
   * about conditions and transactions pass as they are; anything else (throttling after the
   * SDK's retries, 5xx, the network, no answer in time) is a 503 with Retry-After.
   */
  protected async call<T>(run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await beforeDeadline(run, { clock: this.clock });
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        error instanceof TransactionCanceledException
      )
        throw error;
      const e = error as Error;
      throw new StoreUnavailableError(
        `the DynamoDB alarm table did not answer: ${e.name}: ${e.message}`,
        1,
      );
    }
  }

  async openAlarms(): Promise<Alarm[]> {
    const items = await this.queryAll({ pk: "open" });
    return items
      .map((item) => JSON.parse(item.alarm?.S ?? "null") as Alarm)
      .sort((a, b) => a.opened_at - b.opened_at);
  }

  async lastSeq(): Promise<number> {
    const answer = await this.call((abortSignal) =>
      this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { pk: { S: "seq" }, sk: { S: "events" } },
          ConsistentRead: true,
        }),
        { abortSignal },
      ),
    );
    return Number(answer.Item?.seq?.N ?? 0);
  }

  async list(query: AlarmQuery): Promise<Alarm[]> {
    const found: Alarm[] = [];
    // Both `to` and `after` bound the sort key from above: the lower bound holds both.
    const bounds = [
      ...(query.to === undefined ? [] : [pad(query.to)]),
      ...(query.after === undefined ? [] : [`${pad(query.after.openedAt)}#${query.after.id}`]),
    ].sort();
    const below = bounds[0];
    const input: QueryCommandInput = {
      TableName: this.table,
      KeyConditionExpression: below === undefined ? "pk = :pk" : "pk = :pk AND sk < :below",
      ExpressionAttributeValues: {
        ":pk": { S: "alarm" },
        ...(below === undefined ? {} : { ":below": { S: below } }),
      },
      ScanIndexForward: false,
    };
    // Newest first, page by page, until `limit` alarms match (filters apply here, not in a
    // FilterExpression: DynamoDB reads, and bills, the same items either way).
    for await (const item of this.pages(input)) {
      const alarm = JSON.parse(item.alarm?.S ?? "null") as Alarm;
      if (!matches(alarm, query)) continue;
      found.push(alarm);
      if (found.length >= query.limit) break;
    }
    return found;
  }

  /** The fleet power the schedule kept, minute by minute since `since`, oldest first. */
  async fleetPower(since: number): Promise<FleetPowerPoint[]> {
    const points: FleetPowerPoint[] = [];
    for await (const item of this.pages({
      TableName: this.table,
      KeyConditionExpression: "pk = :pk AND sk >= :since",
      ExpressionAttributeValues: { ":pk": { S: "power" }, ":since": { S: pad(since) } },
    })) {
      points.push({
        time: Number(item.sk?.S),
        power_kw: Number(item.power_kw?.N ?? 0),
        turbines: Number(item.turbines?.N ?? 0),
      });
    }
    return points;
  }

  async eventsSince(seq: number, limit = 10_000): Promise<AlarmEvent[]> {
    const events: AlarmEvent[] = [];
    for await (const item of this.pages({
      TableName: this.table,
      KeyConditionExpression: "pk = :pk AND sk > :seq",
      ExpressionAttributeValues: { ":pk": { S: "event" }, ":seq": { S: pad(seq) } },
    })) {
      events.push(JSON.parse(item.event?.S ?? "null") as AlarmEvent);
      if (events.length >= limit) break;
    }
    return events;
  }

  /**
   * Counts rejected readings (the ingest hook on Lambda): one UpdateItem per turbine of the
   * answer, ADD to its counter of this minute, only when there are rejections.
   */
  async countRejections(rejections: readonly ReadingRejection[], now: number): Promise<void> {
    const byTurbine = new Map<string, ReadingRejection[]>();
    for (const rejection of rejections) {
      const list = byTurbine.get(rejection.turbine_id) ?? [];
      list.push(rejection);
      byTurbine.set(rejection.turbine_id, list);
    }
    const minute = Math.floor(now / 60_000) * 60_000;
    await Promise.all(
      [...byTurbine].map(([turbineId, list]) => {
        const last = list.at(-1) as ReadingRejection;
        return this.call((abortSignal) =>
          this.client.send(
            new UpdateItemCommand({
              TableName: this.table,
              Key: {
                pk: { S: rejectionsPartition(now) },
                sk: { S: `${turbineId}#${pad(minute)}` },
              },
              UpdateExpression: "ADD #count :n SET #last = :last, #expires = :expires",
              ExpressionAttributeNames: {
                "#count": "count",
                "#last": "last",
                "#expires": "expires_at",
              },
              ExpressionAttributeValues: {
                ":n": { N: String(list.length) },
                ":last": {
                  S: JSON.stringify({
                    turbine_id: turbineId,
                    time: new Date(last.time).toISOString(),
                    reason: last.reason,
                  }),
                },
                ":expires": { N: String(Math.floor(now / 1000) + REJECTIONS_TTL_S) },
              },
            }),
            { abortSignal },
          ),
        );
      }),
    );
  }

  protected async queryAll(key: { pk: string }): Promise<Item[]> {
    const items: Item[] = [];
    for await (const item of this.pages({
      TableName: this.table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: key.pk } },
      ConsistentRead: true,
    })) {
      items.push(item);
    }
    return items;
  }

  protected async *pages(input: QueryCommandInput): AsyncGenerator<Item> {
    let start: Item | undefined;
    do {
      const answer = await this.call((abortSignal) =>
        this.client.send(
          new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
          { abortSignal },
        ),
      );
      for (const item of answer.Items ?? []) yield item;
      start = answer.LastEvaluatedKey;
    } while (start);
  }
}

/** The scheduled evaluation's store: the reader, and what opens and closes alarms and delivers. */
export class DynamoDbAlarmStore extends DynamoDbAlarmReader implements AlarmStore {
  async record(changes: AlarmChange[], notify: boolean): Promise<AlarmEvent[]> {
    const events: AlarmEvent[] = [];
    for (let i = 0; i < changes.length; i += CHANGES_PER_TRANSACTION) {
      events.push(
        ...(await this.recordSome(changes.slice(i, i + CHANGES_PER_TRANSACTION), notify)),
      );
    }
    return events;
  }

  /** One transaction; changes another writer already made are dropped and the rest retried. */
  private async recordSome(changes: AlarmChange[], notify: boolean): Promise<AlarmEvent[]> {
    let pending = changes;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const last = await this.lastSeq();
      const events = pending.map((change, i) => eventOf(change, last + i + 1));
      const items: TransactWriteItem[] = [this.advance(last, last + events.length)];
      for (const event of events) items.push(...this.eventItems(event, notify));
      try {
        await this.call((abortSignal) =>
          this.client.send(new TransactWriteItemsCommand({ TransactItems: items }), {
            abortSignal,
          }),
        );
        return events;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const sequenceTaken = reasons[0]?.Code === "ConditionalCheckFailed";
        // Each event's first item is its `open` item: its condition failing means another
        // evaluator opened (or closed) this alarm first.
        const per = notify ? 4 : 3;
        const done = new Set(
          pending
            .map((_, i) => i)
            .filter((i) => reasons[1 + i * per]?.Code === "ConditionalCheckFailed"),
        );
        if (!sequenceTaken && done.size === 0) throw error;
        pending = pending.filter((_, i) => !done.has(i));
        if (attempt >= MAX_SEQUENCE_RETRIES) {
          throw new Error(`alarm events: the sequence kept moving (${attempt} retries)`);
        }
      }
    }
    return [];
  }

  /** The counter moves from `last` to `next`, only if no one else moved it meanwhile. */
  private advance(last: number, next: number): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: { S: "seq" }, sk: { S: "events" } },
        UpdateExpression: "SET #seq = :next",
        ConditionExpression: last === 0 ? "attribute_not_exists(#seq)" : "#seq = :last",
        ExpressionAttributeNames: { "#seq": "seq" },
        ExpressionAttributeValues: {
          ":next": { N: String(next) },
          ...(last === 0 ? {} : { ":last": { N: String(last) } }),
        },
      },
    };
  }

  private eventItems(event: AlarmEvent, notify: boolean): TransactWriteItem[] {
    const { alarm } = event;
    const openKey = { pk: { S: "open" }, sk: { S: `${alarm.rule}#${alarm.turbine_id}` } };
    const items: TransactWriteItem[] = [
      event.kind === "opened"
        ? {
            Put: {
              TableName: this.table,
              Item: { ...openKey, alarm: { S: JSON.stringify(alarm) }, alarm_id: { S: alarm.id } },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          }
        : {
            Delete: {
              TableName: this.table,
              Key: openKey,
              ConditionExpression: "alarm_id = :id",
              ExpressionAttributeValues: { ":id": { S: alarm.id } },
            },
          },
      {
        Put: {
          TableName: this.table,
          Item: {
            pk: { S: "alarm" },
            sk: { S: alarmSortKey(alarm) },
            turbine_id: { S: alarm.turbine_id },
            alarm: { S: JSON.stringify(alarm) },
          },
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: {
            pk: { S: "event" },
            sk: { S: pad(event.seq) },
            event: { S: JSON.stringify(event) },
          },
        },
      },
    ];
    if (notify) {
      items.push({
        Put: {
          TableName: this.table,
          Item: {
            pk: { S: "outbox" },
            sk: { S: pad(event.seq) },
            event: { S: JSON.stringify(event) },
            attempts: { N: "0" },
            next_attempt_at: { N: String(event.time) },
          },
        },
      });
    }
    return items;
  }

  async outboxHead(): Promise<OutboxEntry | null> {
    const answer = await this.call((abortSignal) =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: "outbox" } },
          Limit: 1,
          ConsistentRead: true,
        }),
        { abortSignal },
      ),
    );
    const item = answer.Items?.[0];
    if (!item) return null;
    return {
      event: JSON.parse(item.event?.S ?? "null") as AlarmEvent,
      attempts: Number(item.attempts?.N ?? 0),
      nextAttemptAt: Number(item.next_attempt_at?.N ?? 0),
    };
  }

  async delivered(seq: number): Promise<void> {
    await this.call((abortSignal) =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: "outbox" }, sk: { S: pad(seq) } },
        }),
        { abortSignal },
      ),
    );
  }

  async failed(seq: number, attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    try {
      await this.call((abortSignal) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: { S: "outbox" }, sk: { S: pad(seq) } },
            UpdateExpression:
              "SET attempts = :attempts, next_attempt_at = :next, last_error = :error",
            // Not if an overlapping run delivered it meanwhile (that would bring it back).
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: {
              ":attempts": { N: String(attempts) },
              ":next": { N: String(Math.round(nextAttemptAt)) },
              ":error": { S: error.slice(0, 500) || "failed" },
            },
          }),
          { abortSignal },
        ),
      );
    } catch (caught) {
      if ((caught as Error).name !== "ConditionalCheckFailedException") throw caught;
    }
  }

  /** Rejections of the last hour per turbine: this hour's counters and the previous hour's. */
  async recentRejections(now: number): Promise<Map<string, RecentRejections>> {
    const recent = new Map<string, RecentRejections>();
    for (const hour of [now - HOUR_MS, now]) {
      for await (const item of this.pages({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: rejectionsPartition(hour) } },
      })) {
        const sk = item.sk?.S ?? "";
        const at = sk.lastIndexOf("#");
        const turbineId = sk.slice(0, at);
        const minute = Number(sk.slice(at + 1));
        if (minute <= now - HOUR_MS) continue;
        const entry = recent.get(turbineId) ?? { times: [], last: null };
        // The rule needs only to know whether more than its limit arrived: cap the list.
        const count = Math.min(Number(item.count?.N ?? 0), 10_000);
        for (let i = 0; i < count; i++) entry.times.push(minute);
        entry.last = JSON.parse(item.last?.S ?? "null");
        recent.set(turbineId, entry);
      }
    }
    return recent;
  }

  async recordFleetPower(point: FleetPowerPoint): Promise<void> {
    await this.call((abortSignal) =>
      this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: "power" },
            sk: { S: pad(point.time) },
            power_kw: { N: String(point.power_kw) },
            turbines: { N: String(point.turbines) },
            expires_at: { N: String(Math.floor(point.time / 1000) + POWER_TTL_S) },
          },
        }),
        { abortSignal },
      ),
    );
  }

  async close(): Promise<void> {}
}

function eventOf(change: AlarmChange, seq: number): AlarmEvent {
  const { alarm } = change;
  const time = change.kind === "opened" ? alarm.opened_at : (alarm.closed_at as number);
  return { seq, kind: change.kind, time, alarm: { ...alarm } };
}

function matches(alarm: Alarm, query: AlarmQuery): boolean {
  if (query.state === "open" && alarm.closed_at !== null) return false;
  if (query.state === "closed" && alarm.closed_at === null) return false;
  if (query.turbineId !== undefined && alarm.turbine_id !== query.turbineId) return false;
  // Open at some moment of [from, to): opened before `to` (the key condition), not closed before `from`.
  if (query.from !== undefined && alarm.closed_at !== null && alarm.closed_at < query.from) {
    return false;
  }
  return true;
}

function alarmSortKey(alarm: Alarm): string {
  return `${pad(alarm.opened_at)}#${alarm.id}`;
}

function rejectionsPartition(time: number): string {
  return `rejections#${new Date(Math.floor(time / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13)}`;
}

/** 15 digits: epoch ms and sequence numbers sort as strings. */
function pad(value: number): string {
  return String(Math.trunc(value)).padStart(15, "0");
}
