// The replay's estimate of the time left, as the progress line shows it.
import { describe, expect, it } from "vitest";
import { etaSeconds } from "../../simulator/stats.ts";

describe("etaSeconds", () => {
  it("gives no estimate before the first answer, nor for an open-ended run", () => {
    expect(etaSeconds(1000, 0, 0, 5)).toBeNull();
    expect(etaSeconds(null, 400, 0, 5)).toBeNull();
  });

  it("estimates the readings still to answer at the rate so far, leaving out those without weather", () => {
    // 25 answered in 10 s is 2.5/s; 100 planned, 5 never sent for want of weather: 70 to go.
    expect(etaSeconds(100, 25, 5, 10)).toBe(28);
    expect(etaSeconds(100, 95, 5, 10)).toBe(0);
  });
});
