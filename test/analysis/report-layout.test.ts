// The report's pieces an analyst reads: a late gateway's partial last bin is left out of the
// charts and said so; tables show an em dash with its reason, never "null", and let long column
// names wrap. (The page itself is measured in Chromium by report.test.ts.)
import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { fleetPowerChart, renderSvg } from "../../notebooks/lib/charts.ts";
import { lateBins, lateBinsNote } from "../../notebooks/lib/late-bins.ts";
import { tableHtml } from "../../notebooks/lib/report.ts";

const T0 = Date.UTC(2026, 2, 1, 12, 0);
const bin = (minutes: number, turbines: number) => ({
  time: new Date(T0 + minutes * 60_000).toISOString(),
  turbines,
});

describe("lateBins", () => {
  it("leaves out a last bin that only some turbines have reported, and says how many", () => {
    const late = lateBins([bin(0, 60), bin(15, 60), bin(30, 59), bin(45, 60), bin(60, 12)]);
    expect(late).toEqual({
      cutoffMs: T0 + 60 * 60_000,
      leftOut: [{ time: T0 + 60 * 60_000, turbines: 12 }],
      reporting: 60,
    });
    expect(lateBinsNote(late)).toBe(
      "Left out: the last bin (13:00 UTC), where 12 of 60 turbines had reported; the tables keep it with its turbine count.",
    );
  });

  it("leaves out every short bin at the end, in any order given", () => {
    const late = lateBins([bin(60, 3), bin(0, 10), bin(45, 8), bin(15, 10), bin(30, 10)]);
    expect(late.leftOut.map((b) => b.turbines)).toEqual([8, 3]);
    expect(lateBinsNote(late)).toContain("the last 2 bins (from 12:45 UTC), where 8, 3 of 10");
  });

  it("keeps a drop in the middle (turbines that stopped) and complete last bins", () => {
    const late = lateBins([bin(0, 10), bin(15, 4), bin(30, 10), bin(45, 10)]);
    expect(late.leftOut).toEqual([]);
    expect(late.cutoffMs).toBeNull();
    expect(lateBinsNote(late)).toBeNull();
    // A single bin is what it is.
    expect(lateBins([bin(0, 3)]).leftOut).toEqual([]);
  });

  it("the fleet chart carries the note as its subtitle", async () => {
    const fleet = aq.from([{ ...bin(0, 60), power_mw: 50 }]);
    const svg = await renderSvg(fleetPowerChart(fleet, "Left out: the last bin"));
    expect(svg).toContain("Left out: the last bin");
    expect(svg).toContain("all reporting turbines"); // its legend
  });
});

describe("tableHtml", () => {
  const table = aq.from([
    { level: "fleet", project: null, lost_fault_mwh: 1.5 },
    { level: "project", project: "Duo", lost_fault_mwh: 0 },
  ]);

  it("shows no value as an em dash, with the reason under the table", () => {
    const html = tableHtml({ title: "t", table, blank: "the fleet row spans every project" });
    expect(html).not.toMatch(/>null</);
    expect(html).toContain('<span class="none">—</span>');
    expect(html).toContain('<p class="note">— the fleet row spans every project</p>');
    // Long names may wrap at their underscores.
    expect(html).toContain("lost_<wbr>fault_<wbr>mwh");
  });

  it("adds no note when every shown cell has a value, and shows only the columns asked", () => {
    const html = tableHtml({ title: "t", table, columns: ["level", "lost_fault_mwh"] });
    expect(html).not.toContain("note");
    expect(html).not.toContain("Duo");
  });
});
