// Static yaw misalignment on vane bins written by hand: the power coefficient of each 1° vane
// bin made from the cos² law with a known offset (and without it), so the expected answer is
// the offset put in, not a figure of the code under test.
import { expect, it } from "vitest";
import type { TurbineFacts } from "../../api/analyses/scan.ts";
import { cosinePeakDeg, type YawBinRow, yawMisalignment } from "../../api/analyses/yaw.ts";

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Bins of turbine `id`: vane -8..8°, in wind bins 6-8 m/s, rotor `offset`° off when the vane reads 0. */
function bins(id: string, offsetDeg: number, ratedKw: number, perRated = 0.3): YawBinRow[] {
  const rows: YawBinRow[] = [];
  for (const wind of [6, 7, 8]) {
    for (let vane = -8; vane <= 8; vane++) {
      const n = 12 - Math.abs(vane); // more readings near 0, as a vane has
      const cos2 = Math.cos(rad(vane + offsetDeg)) ** 2;
      const power = perRated * ratedKw * cos2;
      rows.push({
        turbine_id: id,
        bin: wind,
        vane_bin: vane,
        n,
        vane_sum: vane * n,
        power_sum: power * n,
        cp_sum: (power / wind ** 3) * n,
      });
    }
  }
  return rows;
}
const facts = (id: string): TurbineFacts => ({
  turbine_id: id,
  project: "P",
  model: "M",
  rated_kw: 2000,
  tags: {},
});

it("finds the peak of a cos² curve from one side of it", () => {
  const points = [];
  for (let v = -8; v <= 8; v++)
    points.push({ vaneDeg: v, y: Math.cos(rad(v + 15)) ** 2, weight: 1 });
  expect(cosinePeakDeg(points)).toBe(-15);
});

it("recovers each turbine's offset, flags 7° and more, and skips bins at rated", () => {
  const rows = [...bins("A", 15, 2000), ...bins("B", 0, 2000), ...bins("C", -9, 2000)];
  // Bins at 90% of rated say nothing of the vane (the cap hides it): left out.
  rows.push(...bins("D", 20, 2000, 0.9));
  const answer = yawMisalignment(rows, ["A", "B", "C", "D"].map(facts));
  expect(answer.map((r) => [r.turbine_id, r.yaw_misalignment_deg, r.wind_bins, r.flagged])).toEqual(
    [
      ["A", 15, 3, true],
      ["C", -9, 3, true],
      ["B", 0, 3, false],
      ["D", null, 0, false],
    ],
  );
  expect(answer.find((r) => r.turbine_id === "A")?.spread_deg).toBe(0);
});
