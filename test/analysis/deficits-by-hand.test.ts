// Deficit periods on hourly bins written by hand: the expected figures are worked out below,
// not by the code under test.
//
//   model M rated 1000 kW; every hour six 10-minute producing readings in wind bin 20
//   A, B, C  hours 0-5 at 500 kW                      healthy: the reference is 500 kW in bin 20
//   D        hour 0 at 400, hour 1 at 500, hours 2-4 flat at 300 kW, hour 5 at 500
//            hours 2-4: 300 / 500 = 0.6 < 0.85, flat (cv 0), under 90% rated: a derating of
//            3 h, lost 3 x 200 kWh = 0.6 MWh; hour 0: 0.8 < 0.85 but alone, dropped
//   E        hours 0-2 alternating 250 / 450 kW (mean 350, cv 100 / 350 = 0.29) at
//            -1 °C: icing, 3 h, actual 1.05 MWh of 1.5 expected, lost 0.45 MWh, ratio 0.7
//   The first reference pools D's and E's low hours too (12350 kWh / 27 h = 457 kW), against
//   which D's hour 0 is no deficit (0.875); the next leaves hours 2-4 and E out (495 kW), which
//   finds hour 0; the last leaves it out too, so the expectations above are against exactly 500.
import { expect, it } from "vitest";
import { deficitPeriods, type HourBin } from "../../api/analyses/deficits.ts";
import type { TurbineFacts } from "../../api/analyses/scan.ts";

const facts = (id: string): TurbineFacts => ({
  turbine_id: id,
  project: "P",
  model: "M",
  rated_kw: 1000,
  tags: {},
});
const REGISTRY = ["A", "B", "C", "D", "E"].map(facts);

function hour(id: string, h: number, powers: number[], temperature: number | null = 5): HourBin {
  const sum = powers.reduce((s, p) => s + p, 0);
  const energy = powers.reduce((s, p) => s + p / 6, 0);
  return {
    turbine_id: id,
    hour: h,
    status: "producing",
    bin: 20,
    n: powers.length,
    powerSum: sum,
    powerSqSum: powers.reduce((s, p) => s + p * p, 0),
    windSum: 10 * powers.length,
    hours: powers.length / 6,
    energyKwh: energy,
    energyNKwh: energy,
    minTemperatureC: temperature,
  };
}
const six = (kw: number) => Array.from({ length: 6 }, () => kw);

const bins: HourBin[] = [];
for (const id of ["A", "B", "C"]) for (let h = 0; h < 6; h++) bins.push(hour(id, h, six(500)));
bins.push(hour("D", 0, six(400)), hour("D", 1, six(500)));
for (const h of [2, 3, 4]) bins.push(hour("D", h, six(300)));
bins.push(hour("D", 5, six(500)));
for (const h of [0, 1, 2]) bins.push(hour("E", h, [250, 450, 250, 450, 250, 450], -1));

it("finds the derating and the icing, by cause, against a reference without them", () => {
  const periods = deficitPeriods(bins, REGISTRY, { from: 0, to: 6 * 3_600_000 });
  expect(periods).toEqual([
    {
      turbine_id: "D",
      project: "P",
      model: "M",
      cause: "derating",
      from: "1970-01-01T02:00:00.000Z",
      to: "1970-01-01T05:00:00.000Z",
      hours: 3,
      actual_mwh: 0.9,
      expected_mwh: 1.5,
      lost_mwh: 0.6,
      ratio: 0.6,
      min_temperature_c: 5,
    },
    {
      turbine_id: "E",
      project: "P",
      model: "M",
      cause: "icing",
      from: "1970-01-01T00:00:00.000Z",
      to: "1970-01-01T03:00:00.000Z",
      hours: 3,
      actual_mwh: 1.05,
      expected_mwh: 1.5,
      lost_mwh: 0.45,
      ratio: 0.7,
      min_temperature_c: -1,
    },
  ]);
});

it("calls a cold deficit underproduction when no temperature was stored", () => {
  const warmless = bins.map((b) => ({ ...b, minTemperatureC: null }));
  const periods = deficitPeriods(warmless, REGISTRY, { from: 0, to: 6 * 3_600_000 });
  expect(periods.map((p) => [p.turbine_id, p.cause])).toEqual([
    ["D", "derating"],
    ["E", "underproduction"],
  ]);
});

it("judges no hour where the reference expects under 15% of rated", () => {
  const low = bins.map((b) => ({
    ...b,
    powerSum: b.powerSum / 10,
    powerSqSum: b.powerSqSum / 100,
    energyKwh: b.energyKwh / 10,
    energyNKwh: b.energyNKwh / 10,
  }));
  expect(deficitPeriods(low, REGISTRY, { from: 0, to: 6 * 3_600_000 })).toEqual([]);
});
