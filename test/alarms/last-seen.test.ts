// What one answer's readings change in their turbines' last-seen records (api/live/last-seen.ts):
// the latest reading, the interval, and the alarm rules' state folded in time order.
import { describe, expect, it } from "vitest";
import { DEFAULT_ALARM_RULES } from "../../api/alarms/config.ts";
import { lastSeenChanges } from "../../api/alarms/last-seen.ts";
import { placeOf } from "../../api/live/places.ts";
import type { Reading } from "../../api/store/port.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");
const reading = (turbine: string, minute: number, extra: Partial<Reading> = {}): Reading => ({
  turbine_id: turbine,
  time: T0 + minute * 60_000,
  power_kw: 1000,
  wind_speed_ms: 9,
  status: "producing",
  status_code: null,
  version: 1,
  measures: {},
  tags: {},
  ...extra,
});
const vestas = placeOf({
  turbine_id: "x",
  project: "P",
  model: "Vestas V66",
  rated_kw: 1750,
  latitude: null,
  longitude: null,
  tags: {},
});
const changes = (readings: Reading[]) =>
  lastSeenChanges(readings, () => vestas, DEFAULT_ALARM_RULES);

describe("last-seen changes", () => {
  it("keeps each turbine's latest reading and the one before it, whatever the order sent", () => {
    const [a, b] = changes([reading("a", 2), reading("b", 5), reading("a", 1), reading("a", 3)]);
    expect(a).toMatchObject({ turbine_id: "a", latest: { time: T0 + 180_000 } });
    expect(a?.previousTime).toBe(T0 + 120_000);
    expect(b).toMatchObject({ turbine_id: "b", previousTime: null });
  });

  it("carries a fault run: continuing when every reading is a fault, restarted after a non-fault", () => {
    const fault = { status: "fault" as const, power_kw: 0 };
    const [all] = changes([reading("a", 1, fault), reading("a", 2, fault)]);
    expect(all?.fault).toEqual({ since: T0 + 60_000, continues: true });
    const [restarted] = changes([reading("a", 1, fault), reading("a", 2), reading("a", 3, fault)]);
    expect(restarted?.fault).toEqual({ since: T0 + 180_000, continues: false });
    const [ended] = changes([reading("a", 1, fault), reading("a", 2)]);
    expect(ended?.fault).toBeNull();
  });

  it("counts underperforming readings in a row at the end of the answer", () => {
    // 9 m/s on a 1750 kW Vestas V66 is far more than 50 kW.
    const low = { power_kw: 50 };
    const [run] = changes([reading("a", 1, low), reading("a", 2, low)]);
    expect(run?.underperforming).toEqual({ count: 2, continues: true });
    const [broken] = changes([reading("a", 1, low), reading("a", 2), reading("a", 3, low)]);
    expect(broken?.underperforming).toEqual({ count: 1, continues: false });
    const [none] = changes([reading("a", 1)]);
    expect(none?.underperforming).toEqual({ count: 0, continues: false });
  });
});
