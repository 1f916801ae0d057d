// GET /v1/power's bins as a Vega-Lite chart: power over time, a line per group (by=turbine,
// project or province), with how many turbines reported in each bin in the tooltip.
import type { TopLevelSpec } from "vega-lite";

export interface PowerChartRow {
  time: string;
  group: string | null;
  power_kw: number;
  turbines: number;
}

export function powerChart(
  rows: readonly PowerChartRow[],
  { by, every }: { by: string; every: string },
): TopLevelSpec {
  const grouped = by !== "none";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `Power, mean of every ${every}${grouped ? ` by ${by}` : ""} (UTC)`,
    width: 720,
    height: 280,
    data: { values: rows.map((r) => ({ ...r, power_mw: r.power_kw / 1000 })) },
    mark: { type: "line", interpolate: "step-after", point: rows.length < 60 },
    encoding: {
      x: {
        field: "time",
        type: "temporal",
        timeUnit: "utcyearmonthdatehoursminutes",
        title: "time (UTC)",
        axis: { labelOverlap: true },
      },
      y: { field: "power_mw", type: "quantitative", title: "power (MW)", axis: { tickCount: 6 } },
      ...(grouped
        ? { color: { field: "group", type: "nominal", title: by, legend: { symbolLimit: 20 } } }
        : {}),
      tooltip: [
        {
          field: "time",
          type: "temporal",
          timeUnit: "utcyearmonthdatehoursminutes",
          title: "time (UTC)",
        },
        ...(grouped ? [{ field: "group", type: "nominal" as const, title: by }] : []),
        { field: "power_mw", type: "quantitative", format: ",.2f", title: "power (MW)" },
        { field: "turbines", type: "quantitative", title: "turbines reporting" },
      ],
    },
  };
}
