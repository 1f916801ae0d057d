// The fleet as Lambda reads it back for the alarms' scheduled evaluation and the polled snapshot
// (api/live/store-view.ts), on a real influxd: the window query over every turbine (InfluxQL),
// and the latest reading and the day's count of turbines that sent fewer than two in it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStoreView } from "../../api/live/store-view.ts";
import { InfluxDbClient } from "../../api/store/influxdb-client.ts";
import { InfluxDbStore } from "../../api/store/influxdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { type InfluxDbServer, startInfluxDb } from "../support/influxdb.ts";

const MINUTE = 60_000;
const now = Date.now();
let influx: InfluxDbServer;
let store: InfluxDbStore;

const reading = (turbine: string, minute: number, power = 100): Reading =>
  ({
    turbine_id: turbine,
    time: now + minute * MINUTE,
    power_kw: power,
    wind_speed_ms: 5,
    status: "producing",
    status_code: null,
    version: 1,
    measures: {},
    tags: {},
  }) as Reading;

beforeAll(async () => {
  influx = await startInfluxDb();
  const database = await influx.createDatabase("view");
  store = new InfluxDbStore({
    client: new InfluxDbClient({ url: influx.url, database }),
    writeWindow: { maxAgeMs: 7 * 86_400_000, maxFutureMs: 900_000 },
  });
  const readings = [
    ...[-4, -3, -2, -1].map((m) => reading("steady", m, 200 + m)),
    // Two readings an hour apart, the last 40 minutes ago: outside the 15-minute window.
    reading("slow", -100),
    reading("slow", -40),
    reading("once", -5),
  ];
  const outcomes = await store.write(readings, now);
  expect(outcomes.every((o) => o === "accepted")).toBe(true);
}, 60_000);
afterAll(async () => {
  await store?.close();
  await influx?.stop();
});

describe("the store view on InfluxDB", () => {
  it("reads the window of every turbine, and the latest of those that sent fewer than two", async () => {
    const view = await readStoreView({
      store,
      now,
      listTurbines: async () => [
        {
          turbine_id: "slow",
          project: "P",
          model: "Vestas V66",
          rated_kw: 1750,
          latitude: null,
          longitude: null,
          tags: {},
        },
      ],
    });
    expect([...view.readings.keys()].sort()).toEqual(["once", "steady"]);
    expect(view.readings.get("steady")?.map((r) => r.power_kw)).toEqual([196, 197, 198, 199]);
    expect(view.windowReadings).toBe(5);
    const steady = view.turbines.get("steady");
    expect(steady?.reading.time).toBe(now - MINUTE);
    expect(steady?.intervalMs).toBe(MINUTE);
    // Registered, quiet for 40 minutes: its latest reading, and the day's mean gap.
    const slow = view.turbines.get("slow");
    expect(slow?.reading.time).toBe(now - 40 * MINUTE);
    expect(slow?.intervalMs).toBe(86_400_000 / 2);
    expect(slow?.place.model).toBe("Vestas V66");
    // One reading: no interval yet.
    expect(view.turbines.get("once")?.intervalMs).toBeNull();
  });
});
