// Chart specs (Vega-Lite) for the report, rendered to SVG in Node: no browser, no network.
import * as aq from "arquero";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { Row, Table } from "./tables.ts";

const WIDTH = 720;

/**
 * What every chart of the report shares: names drawn whole (Vega cuts labels at 180 px by
 * default), neighbouring labels kept apart with room to spare (Vega measures text in Node by an
 * estimate, a browser's fonts differ), and its legend beside it.
 */
export const REPORT_CONFIG = {
  axis: { labelLimit: 420, labelOverlap: "greedy", labelSeparation: 8 },
  axisX: { labelFlush: true },
  legend: { labelLimit: 420, titleLimit: 420 },
  header: { labelLimit: 420 },
  title: { limit: 0 },
} as const;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const configured = {
    ...spec,
    config: { ...REPORT_CONFIG, ...(spec.config ?? {}) },
  } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(configured).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The fleet's power over time; `note` (under the title) says which late bins are left out. */
export function fleetPowerChart(fleet: Table, note: string | null = null): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: note ? { text: "Total power of the fleet", subtitle: note } : "Total power of the fleet",
    width: WIDTH,
    height: 240,
    data: { values: fleet.objects() },
    mark: { type: "area", line: true, opacity: 0.4 },
    encoding: {
      color: {
        datum: "all reporting turbines",
        type: "nominal",
        scale: { range: ["#0072B2"] },
        legend: { title: null, orient: "top-left" },
      },
      x: {
        field: "time",
        type: "temporal",
        title: "time (UTC)",
        timeUnit: "utcyearmonthdatehoursminutes",
      },
      y: { field: "power_mw", type: "quantitative", title: "power (MW)" },
    },
  };
}

/**
 * Power per project, the original experiment's chart, for the whole fleet: mean power per project
 * (the `bars` largest), and above them the power over time of the `panels` projects that
 * produced most, one small chart each on its own scale (the shape of its day, not its size).
 */
export function projectPowerChart(
  projects: Table,
  overTime: Table,
  { bars = 40, panels = 12 } = {},
): TopLevelSpec {
  const largest = projects
    .orderby((d: Row) => -d.energy_mwh)
    .slice(0, panels)
    .array("project") as string[];
  const wanted = new Set(largest);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    spacing: 40,
    vconcat: [
      {
        title: `Power over time per project (the ${largest.length} that produced most)`,
        data: {
          // Filtered in the table: a month of 770 projects' hours is 0.5 M rows, 12 drawn.
          values: overTime
            .filter(aq.escape((row: { project: string | null }) => wanted.has(String(row.project))))
            .objects(),
        },
        facet: { field: "project", type: "nominal", sort: largest, title: null },
        columns: 3,
        resolve: { scale: { y: "independent" } },
        spec: {
          width: 220,
          height: 90,
          mark: { type: "area", line: true, opacity: 0.4 },
          encoding: {
            x: {
              field: "time",
              type: "temporal",
              title: null,
              timeUnit: "utcyearmonthdatehoursminutes",
            },
            y: { field: "power_mw", type: "quantitative", title: "MW" },
          },
        },
      },
      {
        title: `Mean power per project (top ${bars}), coloured by province`,
        width: WIDTH,
        data: {
          values: projects
            .orderby((d: Row) => -d.mean_mw)
            .slice(0, bars)
            .objects(),
        },
        mark: "bar",
        encoding: {
          y: { field: "project", type: "nominal", sort: "-x", title: null },
          x: { field: "mean_mw", type: "quantitative", title: "mean power (MW)" },
          color: { field: "province", type: "nominal" },
        },
      },
    ],
    // The province legend beside the bars it colours, not beside the one-colour panels above.
    resolve: { legend: { color: "independent" } },
  };
}

/** Projects where they stand, sized by power: a map of the Netherlands without map tiles. */
export function projectMapChart(projects: Table): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "Projects by location, sized by mean power",
    width: 480,
    height: 560,
    data: { values: projects.filter((d: Row) => d.lat !== null && d.lon !== null).objects() },
    mark: { type: "circle", opacity: 0.6 },
    encoding: {
      x: { field: "lon", type: "quantitative", scale: { domain: [3.3, 7.3] }, title: "longitude" },
      y: { field: "lat", type: "quantitative", scale: { domain: [50.7, 53.6] }, title: "latitude" },
      size: { field: "mean_mw", type: "quantitative", title: "MW", scale: { range: [4, 900] } },
      color: { field: "province", type: "nominal" },
      tooltip: [{ field: "project" }, { field: "mean_mw" }],
    },
  };
}

export function powerCurveChart(curve: Table): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "Empirical power curve (producing readings)",
    width: WIDTH,
    height: 260,
    data: { values: curve.objects() },
    mark: { type: "line", point: true },
    encoding: {
      color: {
        datum: "mean of producing readings",
        type: "nominal",
        scale: { range: ["#0072B2"] },
        legend: { title: null, orient: "top-left" },
      },
      x: { field: "wind_ms", type: "quantitative", title: "wind speed at hub height (m/s)" },
      y: { field: "per_unit", type: "quantitative", title: "output / rated power" },
    },
  };
}
