// The AlarmStore port (api/alarms/store.ts), one contract for both implementations: DuckDB (a
// real file) and DynamoDB (the real SDK against the wire fake). Listing with every filter, the
// event sequence, the webhook outbox, batches larger than one DynamoDB transaction, and a change
// another evaluator already made.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDuckDbAlarmStore } from "../../api/alarms/duckdb-store.ts";
import { DynamoDbAlarmStore } from "../../api/alarms/dynamodb-store.ts";
import type { AlarmChange, AlarmStore } from "../../api/alarms/store.ts";
import type { Alarm, AlarmRule } from "../../api/live/alarm.ts";
import { startWireDynamoDb, type WireDynamoDb } from "../registry/wire-dynamodb.ts";

const dir = mkdtempSync(join(tmpdir(), "gust-alarm-store-"));
let wire: WireDynamoDb;
let duckdb: DuckDBInstance;
beforeAll(async () => {
  wire = await startWireDynamoDb("turbines", { alarms: ["pk", "sk"] });
  duckdb = await DuckDBInstance.create(join(dir, "alarms.duckdb"));
});
afterAll(async () => {
  await wire.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function alarm(turbine: string, rule: AlarmRule, openedAt: number): Alarm {
  n++;
  return {
    id: `a-${String(n).padStart(4, "0")}`,
    turbine_id: turbine,
    rule,
    opened_at: openedAt,
    closed_at: null,
    detail: `detail ${n}`,
    reading: { turbine_id: turbine, time: new Date(openedAt).toISOString(), power_kw: 1 },
  };
}
const opened = (a: Alarm): AlarmChange => ({ kind: "opened", alarm: a });
const closed = (a: Alarm, at: number): AlarmChange => ({
  kind: "closed",
  alarm: { ...a, closed_at: at },
});

const stores: [string, () => Promise<AlarmStore>][] = [
  ["DuckDB", async () => openDuckDbAlarmStore(await duckdb.connect())],
  ["DynamoDB", async () => new DynamoDbAlarmStore(wire.client(), "alarms")],
];

describe.each(stores)("the %s alarm store", (_name, open) => {
  let store: AlarmStore;
  const t0 = Date.UTC(2026, 10, 23, 10);
  const a = alarm("t-1", "fault", t0);
  const b = alarm("t-2", "silent", t0 + 60_000);
  const c = alarm("t-1", "silent", t0 + 120_000);
  beforeAll(async () => {
    store = await open();
  });

  it("stores changes with their events in one sequence, and outbox entries when notifying", async () => {
    expect(await store.lastSeq()).toBe(0);
    const events = await store.record([opened(a), opened(b)], true);
    expect(events.map((e) => [e.seq, e.kind, e.alarm.id])).toEqual([
      [1, "opened", a.id],
      [2, "opened", b.id],
    ]);
    const more = await store.record([opened(c), closed(a, t0 + 180_000)], false);
    expect(more.map((e) => e.seq)).toEqual([3, 4]);
    expect(await store.lastSeq()).toBe(4);
    expect((await store.openAlarms()).map((x) => x.id)).toEqual([b.id, c.id]);
  });

  it("lists newest first, by state, turbine and time", async () => {
    const ids = async (query: Parameters<AlarmStore["list"]>[0]) =>
      (await store.list(query)).map((x) => x.id);
    expect(await ids({ limit: 10 })).toEqual([c.id, b.id, a.id]);
    expect(await ids({ limit: 2 })).toEqual([c.id, b.id]);
    expect(await ids({ state: "open", limit: 10 })).toEqual([c.id, b.id]);
    expect(await ids({ state: "closed", limit: 10 })).toEqual([a.id]);
    expect(await ids({ turbineId: "t-1", limit: 10 })).toEqual([c.id, a.id]);
    // Open at some moment of [from, to).
    expect(await ids({ to: t0 + 60_000, limit: 10 })).toEqual([a.id]);
    expect(await ids({ from: t0 + 200_000, limit: 10 })).toEqual([c.id, b.id]);
    expect(await ids({ from: t0 + 150_000, to: t0 + 170_000, limit: 10 })).toEqual([
      c.id,
      b.id,
      a.id,
    ]);
    const [closedA] = await store.list({ state: "closed", limit: 1 });
    expect(closedA).toEqual({ ...a, closed_at: t0 + 180_000 });
  });

  it("replays events after a sequence number, each alarm as it was then", async () => {
    const events = await store.eventsSince(2);
    expect(events.map((e) => [e.seq, e.kind, e.alarm.id, e.alarm.closed_at])).toEqual([
      [3, "opened", c.id, null],
      [4, "closed", a.id, t0 + 180_000],
    ]);
    expect((await store.eventsSince(0, 1)).map((e) => e.seq)).toEqual([1]);
  });

  it("keeps undelivered webhook events in order, with their retry schedule", async () => {
    const head = await store.outboxHead();
    expect(head).toMatchObject({ event: { seq: 1 }, attempts: 0, nextAttemptAt: t0 });
    await store.failed(1, 1, t0 + 5_000, "HTTP 503");
    expect(await store.outboxHead()).toMatchObject({
      event: { seq: 1 },
      attempts: 1,
      nextAttemptAt: t0 + 5_000,
    });
    await store.delivered(1);
    expect((await store.outboxHead())?.event.seq).toBe(2);
    await store.delivered(2);
    expect(await store.outboxHead()).toBeNull();
  });

  it("stores a batch larger than one transaction, in one sequence", async () => {
    const many = Array.from({ length: 45 }, (_, i) => opened(alarm(`m-${i}`, "fault", t0 + i)));
    const events = await store.record(many, true);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 45 }, (_, i) => 5 + i));
    expect(await store.lastSeq()).toBe(49);
    expect((await store.openAlarms()).length).toBe(47);
  });

  it("pages after an alarm in the listing's order: opened_at, then id, both descending", async () => {
    // Four alarms a day before the others, two opened at the same moment.
    const early = t0 - 86_400_000;
    const p1 = alarm("p-1", "fault", early);
    const p2 = alarm("p-2", "fault", early + 1000);
    const p3 = alarm("p-3", "fault", early + 1000);
    const p4 = alarm("p-4", "fault", early + 2000);
    await store.record([p1, p2, p3, p4].map(opened), false);
    const ids = async (query: Parameters<AlarmStore["list"]>[0]) =>
      (await store.list(query)).map((x) => x.id);
    const before = { to: t0 - 1, limit: 10 };
    expect(await ids(before)).toEqual([p4.id, p3.id, p2.id, p1.id]);
    const cursorOf = (x: Alarm) => ({ openedAt: x.opened_at, id: x.id });
    expect(await ids({ ...before, after: cursorOf(p4), limit: 1 })).toEqual([p3.id]);
    expect(await ids({ ...before, after: cursorOf(p3), limit: 1 })).toEqual([p2.id]);
    expect(await ids({ ...before, after: cursorOf(p2) })).toEqual([p1.id]);
    expect(await ids({ ...before, after: cursorOf(p1) })).toEqual([]);
    // `after` alone (without `to`) continues into the older alarms as well.
    expect(await ids({ after: cursorOf(c), limit: 1 })).toEqual([b.id]);
  });
});

describe("the DynamoDB alarm store with another evaluator", () => {
  it("drops an alarm another run opened first, and takes the next numbers after its events", async () => {
    await wire.close();
    wire = await startWireDynamoDb("turbines", { alarms: ["pk", "sk"] });
    const mine = new DynamoDbAlarmStore(wire.client(), "alarms");
    const theirs = new DynamoDbAlarmStore(wire.client(), "alarms");
    const t0 = Date.UTC(2026, 10, 23, 12);
    // Both judged the same silent turbine before either stored anything.
    const ours = alarm("t-9", "silent", t0);
    const other = alarm("t-9", "silent", t0);
    const extra = alarm("t-8", "fault", t0);
    // The other run commits between our read of the sequence and our transaction.
    let once = true;
    wire.beforeTransaction = () => {
      if (!once) return;
      once = false;
      const items = wire.tables.get("alarms")?.items as Map<string, any>;
      items.set(JSON.stringify(["seq", "events"]), {
        pk: { S: "seq" },
        sk: { S: "events" },
        seq: { N: "1" },
      });
      items.set(JSON.stringify(["open", "silent#t-9"]), {
        pk: { S: "open" },
        sk: { S: "silent#t-9" },
        alarm: { S: JSON.stringify(other) },
        alarm_id: { S: other.id },
      });
    };
    const events = await mine.record([opened(ours), opened(extra)], false);
    expect(events.map((e) => [e.seq, e.alarm.id])).toEqual([[2, extra.id]]);
    expect((await theirs.openAlarms()).map((x) => x.id).sort()).toEqual(
      [other.id, extra.id].sort(),
    );
    // Closing an alarm that is no longer the open one changes nothing either.
    expect(await mine.record([closed(ours, t0 + 1000)], false)).toEqual([]);
    expect(await mine.lastSeq()).toBe(2);
  });
});
