// The turbines' last-seen records on Lambda (last-seen.ts), in the alarm table
// (dynamodb-store.ts lays it out): pk "seen", sk the turbine id, one item each:
//   reading        the latest stored reading (JSON, time as epoch ms)
//   time           its time (epoch ms): the condition keeps a later reading from being replaced
//   prev_time      the reading before it, for the reporting interval
//   fault_since    the current fault run's start (absent when the latest is no fault)
//   under          underperforming readings in a row
//   expires_at     TTL: a turbine silent for 30 days leaves the listing, as the store's did
// One UpdateItem per turbine of an answer, conditional on holding an earlier reading (an answer
// that arrives after a later one changes nothing). All records in one partition: a Query reads
// the fleet (770 records of ~300 bytes: one page, ~40 read units).
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { Reading } from "../store/port.ts";
import type { Clock } from "../time/clock.ts";
import { DynamoDbAlarmReader } from "./dynamodb-store.ts";
import type { LastSeen, LastSeenChange, LastSeenStore } from "./last-seen.ts";

export const LAST_SEEN_PARTITION = "seen";
const LIFETIME_S = 30 * 86_400;
const CONCURRENT_WRITES = 16;

export class DynamoDbLastSeen extends DynamoDbAlarmReader implements LastSeenStore {
  constructor(client: DynamoDBClient, table: string, clock?: Clock) {
    super(client, table, clock);
  }

  async record(changes: readonly LastSeenChange[]): Promise<void> {
    // A gateway's batch may carry many turbines: a few writes at a time, not hundreds at once.
    for (let i = 0; i < changes.length; i += CONCURRENT_WRITES) {
      await Promise.all(
        changes.slice(i, i + CONCURRENT_WRITES).map((change) => this.recordOne(change)),
      );
    }
  }

  private async recordOne(change: LastSeenChange): Promise<void> {
    const time = change.latest.time;
    const values: Record<string, AttributeValue> = {
      ":reading": { S: JSON.stringify(change.latest) },
      ":t": { N: String(time) },
      ":expires": { N: String(Math.floor(time / 1000) + LIFETIME_S) },
    };
    const set = ["#reading = :reading", "#time = :t", "expires_at = :expires"];
    const add: string[] = [];
    const remove: string[] = [];
    if (change.previousTime !== null) {
      set.push("prev_time = :prev");
      values[":prev"] = { N: String(change.previousTime) };
    } else {
      // The record's latest becomes the previous one (the time itself for a first record).
      set.push("prev_time = if_not_exists(#time, :t)");
    }
    if (change.fault === null) remove.push("fault_since");
    else {
      values[":since"] = { N: String(change.fault.since) };
      set.push(
        change.fault.continues
          ? "fault_since = if_not_exists(fault_since, :since)"
          : "fault_since = :since",
      );
    }
    values[":under"] = { N: String(change.underperforming.count) };
    if (change.underperforming.continues && change.underperforming.count > 0)
      add.push("under :under");
    else set.push("under = :under");
    const expression = [
      `SET ${set.join(", ")}`,
      add.length ? `ADD ${add.join(", ")}` : "",
      remove.length ? `REMOVE ${remove.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join(" ");
    try {
      await this.call((abortSignal) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: { S: LAST_SEEN_PARTITION }, sk: { S: change.turbine_id } },
            UpdateExpression: expression,
            ConditionExpression: "attribute_not_exists(#time) OR #time < :t",
            ExpressionAttributeNames: { "#reading": "reading", "#time": "time" },
            ExpressionAttributeValues: values,
          }),
          { abortSignal },
        ),
      );
    } catch (error) {
      // The record holds a later reading (another answer got there first): it stays.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async all(): Promise<Map<string, LastSeen>> {
    const seen = new Map<string, LastSeen>();
    for await (const item of this.pages({
      TableName: this.table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: LAST_SEEN_PARTITION } },
    })) {
      const turbineId = item.sk?.S ?? "";
      const reading = JSON.parse(item.reading?.S ?? "null") as Reading | null;
      if (!reading) continue;
      const previous = item.prev_time?.N === undefined ? null : Number(item.prev_time.N);
      seen.set(turbineId, {
        turbine_id: turbineId,
        reading,
        previousTime: previous === reading.time ? null : previous,
        faultSince: item.fault_since?.N === undefined ? null : Number(item.fault_since.N),
        underperforming: Number(item.under?.N ?? 0),
      });
    }
    return seen;
  }
}
