// The synthetic weather is Dutch-shaped: Weibull-like, correlated in time and space, and a year
// of it gives a fleet capacity factor inside what CBS reports.
import { describe, expect, it } from "vitest";
import { fleetCapacityKw, generateFleet } from "../../simulator/fleet.ts";
import { projectReading } from "../../simulator/project-reading.ts";
import { SyntheticWeather } from "../../simulator/weather/synthetic.ts";

const fleet = generateFleet();
const weather = new SyntheticWeather(1);
const YEAR = Date.UTC(2021, 0, 1);
const HOUR = 3_600_000;

function correlation(a: number[], b: number[]): number {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  a.forEach((x, i) => {
    const y = b[i] as number;
    cov += (x - ma) * (y - mb);
    va += (x - ma) ** 2;
    vb += (y - mb) ** 2;
  });
  return cov / Math.sqrt(va * vb);
}

describe("synthetic weather", () => {
  it("gives a fleet capacity factor inside CBS's 2019-2022 range over a year", () => {
    let energy = 0;
    let samples = 0;
    // Every 5 hours across the year: every hour of the day and every season is sampled.
    for (let t = YEAR; t < YEAR + 365 * 24 * HOUR; t += 5 * HOUR) {
      for (const project of fleet)
        energy += projectReading(project, weather.at(project, t), t).power_kw;
      samples++;
    }
    const capacityFactor = energy / samples / fleetCapacityKw(fleet);
    expect(capacityFactor).toBeGreaterThan(0.239 - 0.02);
    expect(capacityFactor).toBeLessThan(0.291 + 0.02);
  });

  it("is correlated over hours, not over days", () => {
    const project = fleet[0] as (typeof fleet)[number];
    const series = Array.from(
      { length: 2000 },
      (_, h) => weather.at(project, YEAR + h * HOUR).windMs,
    );
    const lagged = (lag: number) => correlation(series.slice(0, -lag), series.slice(lag));
    expect(lagged(1)).toBeGreaterThan(0.8);
    expect(lagged(6)).toBeGreaterThan(0.4);
    expect(lagged(96)).toBeLessThan(0.3);
  });

  it("makes nearby projects see similar wind, and the east see the west's wind later", () => {
    const west = fleet.reduce((a, b) => (a.longitude < b.longitude ? a : b));
    const east = fleet.reduce((a, b) => (a.longitude > b.longitude ? a : b));
    const near = fleet
      .filter((p) => p !== west)
      .reduce((a, b) =>
        Math.hypot(a.latitude - west.latitude, a.longitude - west.longitude) <
        Math.hypot(b.latitude - west.latitude, b.longitude - west.longitude)
          ? a
          : b,
      );
    const series = (p: typeof west, shift = 0) =>
      Array.from({ length: 1500 }, (_, h) => weather.at(p, YEAR + (h + shift) * HOUR).windMs);
    const westSeries = series(west);
    expect(correlation(westSeries, series(near))).toBeGreaterThan(0.7);
    // Weather needs hours to cross the country: the east now matches the west earlier.
    const travelHours = Math.round(((east.longitude - west.longitude) * 68) / 40);
    expect(travelHours).toBeGreaterThan(2);
    expect(correlation(westSeries, series(east, travelHours))).toBeGreaterThan(
      correlation(westSeries, series(east)),
    );
  });

  it("is the same for the same seed", () => {
    const project = fleet[5] as (typeof fleet)[number];
    expect(new SyntheticWeather(1).at(project, YEAR)).toEqual(weather.at(project, YEAR));
    expect(new SyntheticWeather(2).at(project, YEAR).windMs).not.toBe(
      weather.at(project, YEAR).windMs,
    );
  });
});
