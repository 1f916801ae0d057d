// The live page's charts: Vega-Lite specs, compiled and drawn by Vega in the page (SVG), their
// data replaced as the stream brings more. Expressions run in Vega's interpreter, so the page's
// Content-Security-Policy needs no 'unsafe-eval'.
import { expressionInterpreter } from "./vega-interpreter.js";

const { vega, vegaLite } = globalThis;

// Okabe and Ito's blue: one series per chart, readable under every colour-vision deficiency.
export const SERIES_COLOUR = "#0072B2";

const CONFIG = {
  font: "system-ui, sans-serif",
  view: { stroke: null },
  axis: {
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: 500,
    labelColor: "#3b4652",
    titleColor: "#3b4652",
    gridColor: "#e3e7eb",
    domainColor: "#9aa8b4",
    tickColor: "#9aa8b4",
  },
};

/** Fleet power a minute at a time: area and line, round MW ticks, a tooltip at the nearest minute. */
export function historySpec() {
  const x = {
    field: "time",
    type: "temporal",
    title: null,
    axis: { format: "%H:%M", tickCount: 6, labelFlush: true, grid: false },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 200,
    // Width and height are the whole chart's, axes included, laid out again as the data changes
    // (the axes' labels only exist once there is data).
    autosize: { type: "fit", contains: "padding", resize: true },
    config: CONFIG,
    data: { name: "points" },
    transform: [{ calculate: "datum.power_kw / 1000", as: "power_mw" }],
    encoding: { x },
    layer: [
      {
        mark: { type: "area", line: { color: SERIES_COLOUR }, color: SERIES_COLOUR, opacity: 0.15 },
        encoding: {
          y: {
            field: "power_mw",
            type: "quantitative",
            title: null,
            scale: { zero: true, nice: true },
            axis: { tickCount: 4, format: ",~r" },
          },
        },
      },
      {
        // The newest minute as a dot: also what shows while there is only one.
        transform: [
          {
            window: [{ op: "rank", as: "newest" }],
            sort: [{ field: "time", order: "descending" }],
          },
          { filter: "datum.newest === 1" },
        ],
        mark: { type: "point", filled: true, size: 40, color: SERIES_COLOUR },
        encoding: { y: { field: "power_mw", type: "quantitative" } },
      },
      {
        mark: { type: "rule", color: "#3b4652" },
        params: [
          {
            name: "hover",
            select: {
              type: "point",
              fields: ["time"],
              nearest: true,
              on: "pointerover",
              clear: "pointerout",
            },
          },
        ],
        encoding: {
          opacity: { condition: { param: "hover", empty: false, value: 0.5 }, value: 0 },
          tooltip: [
            { field: "time", type: "temporal", title: "minute", format: "%H:%M" },
            { field: "power_mw", type: "quantitative", title: "MW", format: ",.1f" },
            { field: "turbines", type: "quantitative", title: "turbines reporting" },
          ],
        },
      },
    ],
  };
}

/** Power per province now, largest first. */
export function provincesSpec() {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: { step: 20 },
    autosize: { type: "fit-x", contains: "padding", resize: true },
    config: CONFIG,
    data: { name: "provinces" },
    transform: [
      { calculate: "datum.power_kw / 1000", as: "power_mw" },
      { calculate: "datum.capacity_kw / 1000", as: "capacity_mw" },
      {
        calculate:
          "datum.province + ': ' + format(datum.power_mw, '.3f') + ' MW now, ' + format(datum.capacity_mw, '.1f') + ' MW installed'",
        as: "description",
      },
    ],
    mark: { type: "bar", color: SERIES_COLOUR, cornerRadiusEnd: 2 },
    encoding: {
      y: { field: "province", type: "nominal", sort: "-x", title: null, axis: { labelLimit: 160 } },
      x: {
        field: "power_mw",
        type: "quantitative",
        title: null,
        scale: { zero: true, nice: true },
        axis: { tickCount: 4, format: ",~r" },
      },
      // What a screen reader says for each bar (its aria-label).
      description: { field: "description", type: "nominal" },
      tooltip: [
        { field: "province", type: "nominal" },
        { field: "power_mw", type: "quantitative", title: "MW now", format: ",.1f" },
        { field: "capacity_mw", type: "quantitative", title: "MW installed", format: ",.1f" },
        { field: "turbines", type: "quantitative", title: "turbines" },
      ],
    },
  };
}

/** A chart in `container`, its named data set replaced by `update(rows)`. */
export async function liveChart(container, spec, dataName) {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled, null, { ast: true }), {
    expr: expressionInterpreter,
    renderer: "svg",
    container,
    hover: true,
  });
  await view.runAsync();
  let pending = Promise.resolve();
  return {
    view,
    update(rows) {
      // One run at a time, the newest rows last: runs overlap when updates come fast.
      pending = pending.then(() => view.data(dataName, rows).runAsync());
      return pending;
    },
  };
}
