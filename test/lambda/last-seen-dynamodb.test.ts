// The turbines' last-seen records in the alarm table (api/alarms/dynamodb-last-seen.ts), through
// the real SDK against the wire DynamoDB: one conditional UpdateItem per turbine, a later reading
// never replaced by an earlier one, the rules' state carried across answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ALARM_RULES } from "../../api/alarms/config.ts";
import { DynamoDbLastSeen } from "../../api/alarms/dynamodb-last-seen.ts";
import { lastSeenChanges } from "../../api/alarms/last-seen.ts";
import { placeOf } from "../../api/live/places.ts";
import type { Reading } from "../../api/store/port.ts";
import { startWireDynamoDb, type WireDynamoDb } from "../registry/wire-dynamodb.ts";

const TABLE = "alarms";
const T0 = Date.parse("2030-01-01T00:00:00Z");
const reading = (turbine: string, minute: number, extra: Partial<Reading> = {}): Reading => ({
  turbine_id: turbine,
  time: T0 + minute * 60_000,
  power_kw: 1000,
  wind_speed_ms: 9,
  status: "producing",
  status_code: null,
  version: 1,
  measures: { rotor_rpm: 14.2 },
  tags: {},
  ...extra,
});
const fault = { status: "fault" as const, power_kw: 0 };

let wire: WireDynamoDb;
let records: DynamoDbLastSeen;
const record = (readings: Reading[]) =>
  records.record(lastSeenChanges(readings, () => placeOf(null), DEFAULT_ALARM_RULES));

beforeAll(async () => {
  wire = await startWireDynamoDb("turbines", { [TABLE]: ["pk", "sk"] });
  records = new DynamoDbLastSeen(wire.client(), TABLE);
});
afterAll(async () => {
  await wire.close();
});

describe("last-seen records in DynamoDB", () => {
  it("writes one item per turbine of an answer, and reads the fleet in one Query", async () => {
    const before = wire.calls.length;
    await record([reading("a", 1), reading("a", 2), reading("b", 2)]);
    const calls = wire.calls.slice(before).map((c) => c.operation);
    expect(calls).toEqual(["UpdateItem", "UpdateItem"]);
    const all = await records.all();
    expect([...all.keys()].sort()).toEqual(["a", "b"]);
    expect(all.get("a")).toMatchObject({
      reading: { time: T0 + 120_000, measures: { rotor_rpm: 14.2 } },
      previousTime: T0 + 60_000,
      faultSince: null,
    });
    // A first reading has no interval yet.
    expect(all.get("b")?.previousTime).toBeNull();
  });

  it("takes the interval from the record across answers, and never goes back in time", async () => {
    await record([reading("b", 3)]);
    expect((await records.all()).get("b")?.previousTime).toBe(T0 + 120_000);
    await record([reading("b", 1, { power_kw: 1 })]);
    expect((await records.all()).get("b")?.reading).toMatchObject({
      time: T0 + 180_000,
      power_kw: 1000,
    });
  });

  it("carries a fault run's start and the underperforming count across answers", async () => {
    await record([reading("c", 1, fault)]);
    await record([reading("c", 2, fault)]);
    expect((await records.all()).get("c")?.faultSince).toBe(T0 + 60_000);
    await record([reading("c", 3)]);
    expect((await records.all()).get("c")?.faultSince).toBeNull();
    const low = { power_kw: 5 };
    const vestas = placeOf({
      turbine_id: "c",
      project: null,
      model: "Vestas V66",
      rated_kw: 1750,
      latitude: null,
      longitude: null,
      tags: {},
    });
    const under = (minute: number) =>
      records.record(
        lastSeenChanges([reading("c", minute, low)], () => vestas, DEFAULT_ALARM_RULES),
      );
    await under(4);
    await under(5);
    expect((await records.all()).get("c")?.underperforming).toBe(2);
  });

  it("reads past a 1 MB page (DynamoDB's Query page)", async () => {
    // ~3.2 KB each: 400 records are more than one page.
    const many = Array.from({ length: 400 }, (_, i) =>
      reading(`p-${String(i).padStart(4, "0")}`, 1, { tags: { note: "x".repeat(3000) } }),
    );
    await record(many);
    const before = wire.calls.length;
    expect((await records.all()).size).toBe(400 + 3);
    const queries = wire.calls.slice(before).filter((c) => c.operation === "Query");
    expect(queries.length).toBeGreaterThan(1);
  });
});
