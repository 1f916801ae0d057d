// Long-term AEP on a reference and months made by hand: the reference's monthly mean wind is a
// known function of year and month; the operational months' mean power is exactly
// 0.5 MW per m/s x wind - 1.5 MW. So the line is known, and the AEP over the long-term period
// is 8766 h x (0.5 x its mean wind - 1.5) by linearity, computed here from the winds directly.
import { expect, it } from "vitest";
import {
  AepInputError,
  longTermAep,
  type MonthEnergy,
  type ReferenceWind,
} from "../../api/analyses/aep.ts";

const windOf = (year: number, month: number) =>
  7 + 1.5 * Math.cos((2 * Math.PI * month) / 12) + 0.3 * (((year * 7 + month * 3) % 5) - 2);

// Twenty whole years, 2006-2025, one reading a day (monthly means are all the method uses).
const reference: ReferenceWind[] = [];
for (let year = 2006; year <= 2025; year++) {
  for (let month = 0; month < 12; month++) {
    const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    for (let day = 1; day <= days; day++) {
      reference.push({ time: Date.UTC(year, month, day, 12), windMs: windOf(year, month) });
    }
  }
}
const months: MonthEnergy[] = [];
for (const year of [2024, 2025]) {
  for (let month = 0; month < 12; month++) {
    const hours = new Date(Date.UTC(year, month + 1, 0)).getUTCDate() * 24;
    // Half the hours covered in odd months: mean power, not energy, must carry the wind.
    const covered = month % 2 === 1 ? hours / 2 : hours;
    const power = 0.5 * windOf(year, month) - 1.5;
    months.push({
      month: `${year}-${String(month + 1).padStart(2, "0")}`,
      energyMwh: power * covered,
      hours: covered,
    });
  }
}

it("fits the line exactly and puts the long-term winds through it", () => {
  const result = longTermAep(months, reference, { iterations: 2000 });
  expect(result.months).toBe(24);
  expect(result.reference_years).toBe(20);
  expect(result.slope_mw_per_ms).toBeCloseTo(0.5, 6);
  expect(result.intercept_mw).toBeCloseTo(-1.5, 6);
  expect(result.r2).toBeCloseTo(1, 6);
  let sum = 0;
  for (let year = 2006; year <= 2025; year++) for (let m = 0; m < 12; m++) sum += windOf(year, m);
  const twentyYears = 8766 * (0.5 * (sum / 240) - 1.5);
  expect(Math.abs(result.p50_mwh - twentyYears) / twentyYears).toBeLessThan(0.005);
  // An exact line: the bootstrap draws the same line again; the meter's 0.5% a month averages
  // down over 24 months; the long-term period's length moves the answer a little.
  expect(result.components_pct.regression).toBeLessThan(0.001);
  expect(result.components_pct.meter).toBeGreaterThan(0.05);
  expect(result.components_pct.meter).toBeLessThan(0.5);
  expect(result.components_pct.long_term).toBeGreaterThan(0);
  expect(result.p90_mwh).toBeLessThan(result.p50_mwh);
});

it("grows the regression's share with scatter, and answers the same for the same seed", () => {
  const scattered = months.map((m, i) => ({
    ...m,
    energyMwh: m.energyMwh * (1 + (i % 3 === 0 ? 0.08 : -0.04)),
  }));
  const a = longTermAep(scattered, reference, { iterations: 2000, seed: 7 });
  expect(a.components_pct.regression).toBeGreaterThan(0.5);
  expect(a.r2).toBeLessThan(1);
  expect(longTermAep(scattered, reference, { iterations: 2000, seed: 7 })).toEqual(a);
});

it("says what is missing: months, whole years, iterations", () => {
  expect(() => longTermAep(months.slice(0, 5), reference)).toThrow(/at least 6 operational months/);
  expect(() => longTermAep(months, reference.slice(0, 300))).toThrow(AepInputError);
  expect(() => longTermAep(months, reference, { iterations: 5 })).toThrow(/iterations/);
});
