// Charts of the wind analyses (api/analyses) for the report, as Vega-Lite specs rendered to SVG in
// Node (charts.ts): power curves per model with their IEC bins, the underperformance ranking,
// lost energy per cause, and the fleet map over the province outlines coloured by availability.
import { readFileSync } from "node:fs";
import type { TopLevelSpec } from "vega-lite";
import type { AvailabilityRow } from "../../api/analyses/availability.ts";
import type { PowerCurveBin } from "../../api/analyses/power-curve.ts";
import {
  UNDERPERFORMANCE_THRESHOLD_PCT,
  type UnderperformanceRow,
} from "../../api/analyses/underperformance.ts";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
const PROVINCES_FILE = new URL("../../assets/nl-provinces-2023.geojson", import.meta.url);
/** Attribution the province outlines require (CC BY 4.0), drawn under the map. */
export const PROVINCES_ATTRIBUTION =
  "Province outlines: CBS / PDOK Gebiedsindelingen 2023 (generalised), CC BY 4.0";

let provinces: unknown;
function provinceOutlines(): unknown {
  provinces ??= JSON.parse(readFileSync(PROVINCES_FILE, "utf8"));
  return provinces;
}

/**
 * Per model (the `models` with most readings), the reference curve (IEC bins pooled over the
 * model's turbines; thin bins hollow) and the bins of its flagged turbines in red.
 */
export function modelPowerCurvesChart(
  curves: readonly PowerCurveBin[],
  flagged: readonly UnderperformanceRow[],
  models = 6,
): TopLevelSpec {
  const readingsPerModel = new Map<string, number>();
  for (const r of curves) {
    if (r.level === "model" && r.model)
      readingsPerModel.set(r.model, (readingsPerModel.get(r.model) ?? 0) + r.readings);
  }
  const shown = [...readingsPerModel]
    .sort((a, b) => b[1] - a[1])
    .slice(0, models)
    .map(([m]) => m);
  const wanted = new Set(shown);
  const flaggedIds = new Set(flagged.filter((r) => r.flagged).map((r) => r.turbine_id));
  const values = curves
    .filter(
      (r) =>
        r.model !== null &&
        wanted.has(r.model) &&
        (r.level === "model" || (r.turbine_id !== null && flaggedIds.has(r.turbine_id))),
    )
    .map((r) => ({
      model: r.model,
      wind_ms: r.wind_ms,
      power_kw: r.power_kw,
      curve: r.level === "model" ? "fleet reference (IEC bins)" : `flagged: ${r.turbine_id}`,
      kind: r.level === "model" ? "reference" : "flagged turbine",
      thin: r.thin ? "thin (< 30 min)" : "complete",
    }));
  return {
    $schema: SCHEMA,
    title: `Power curves per model: IEC 61400-12-1 bins (0.5 m/s, ${curves[0]?.density_normalised ? "normalised to 1.225 kg/m³" : "not density-normalised"}), flagged turbines in red`,
    data: { values },
    facet: { field: "model", type: "nominal", sort: shown, title: null },
    columns: 3,
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 220,
      height: 150,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'reference'" }],
          mark: { type: "line", color: "#4c78a8" },
          encoding: {
            x: { field: "wind_ms", type: "quantitative", title: "wind (m/s)" },
            y: { field: "power_kw", type: "quantitative", title: "kW" },
          },
        },
        {
          mark: { type: "point", size: 18, filled: true },
          encoding: {
            x: { field: "wind_ms", type: "quantitative" },
            y: { field: "power_kw", type: "quantitative" },
            color: {
              field: "kind",
              type: "nominal",
              scale: { domain: ["reference", "flagged turbine"], range: ["#4c78a8", "#e45756"] },
              title: null,
            },
            opacity: {
              field: "thin",
              // Ordinal: the two kinds of bin have an order (complete first), and vega-lite
              // warns against opacity on an unsorted (nominal) field.
              type: "ordinal",
              scale: { domain: ["complete", "thin (< 30 min)"], range: [1, 0.3] },
              title: "bin",
            },
            tooltip: [{ field: "curve" }, { field: "wind_ms" }, { field: "power_kw" }],
          },
        },
      ],
    },
  };
}

/** The `top` turbines by shortfall, the threshold as a rule. */
export function underperformanceChart(
  rows: readonly UnderperformanceRow[],
  top = 25,
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: `Underperformance against the model's fleet curve (top ${top}; flagged at ${UNDERPERFORMANCE_THRESHOLD_PCT}%)`,
    width: 640,
    layer: [
      {
        data: {
          values: rows.slice(0, top).map((r) => ({ ...r, label: `${r.turbine_id} (${r.model})` })),
        },
        mark: "bar",
        encoding: {
          y: { field: "label", type: "nominal", sort: "-x", title: null },
          x: { field: "shortfall_pct", type: "quantitative", title: "shortfall (%)" },
          color: {
            field: "flagged",
            type: "nominal",
            scale: { domain: [true, false], range: ["#e45756", "#9ecae9"] },
          },
          tooltip: [
            { field: "turbine_id" },
            { field: "shortfall_pct" },
            { field: "shortfall_mwh" },
          ],
        },
      },
      {
        data: { values: [{ threshold: UNDERPERFORMANCE_THRESHOLD_PCT }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#333" },
        encoding: { x: { field: "threshold", type: "quantitative" } },
      },
    ],
  };
}

/** Lost energy per cause, stacked, for the fleet and the `top` projects that lost most. */
export function lostEnergyChart(rows: readonly AvailabilityRow[], top = 20): TopLevelSpec {
  const lost = (r: AvailabilityRow) =>
    r.lost_fault_mwh + r.lost_maintenance_mwh + r.lost_curtailment_mwh;
  const projects = rows
    .filter((r) => r.level === "project")
    .sort((a, b) => lost(b) - lost(a))
    .slice(0, top);
  const values = projects.flatMap((r) =>
    (
      [
        ["fault", r.lost_fault_mwh],
        ["maintenance", r.lost_maintenance_mwh],
        ["curtailment", r.lost_curtailment_mwh],
      ] as const
    ).map(([cause, mwh]) => ({
      project: r.project,
      cause,
      mwh,
      availability: r.time_availability_pct,
    })),
  );
  return {
    $schema: SCHEMA,
    title: `Lost energy per cause, the ${projects.length} projects that lost most (valued at the reference curve and the measured wind)`,
    width: 640,
    data: { values },
    mark: "bar",
    encoding: {
      y: { field: "project", type: "nominal", sort: "-x", title: null },
      x: { field: "mwh", type: "quantitative", stack: "zero", title: "lost energy (MWh)" },
      color: {
        field: "cause",
        type: "nominal",
        scale: {
          domain: ["fault", "maintenance", "curtailment"],
          range: ["#e45756", "#f58518", "#72b7b2"],
        },
      },
      tooltip: [
        { field: "project" },
        { field: "cause" },
        { field: "mwh" },
        { field: "availability" },
      ],
    },
  };
}

export interface TurbinePlace {
  turbine_id: string;
  latitude: number | null;
  longitude: number | null;
}

/** Turbines where they stand over the province outlines, coloured by time-based availability. */
export function availabilityMapChart(
  rows: readonly AvailabilityRow[],
  places: readonly TurbinePlace[],
): TopLevelSpec {
  const availability = new Map(
    rows.filter((r) => r.level === "turbine").map((r) => [r.turbine_id, r]),
  );
  const points = places
    .filter((p) => p.latitude !== null && p.longitude !== null && availability.has(p.turbine_id))
    .map((p) => ({
      turbine_id: p.turbine_id,
      latitude: p.latitude,
      longitude: p.longitude,
      availability: availability.get(p.turbine_id)?.time_availability_pct ?? null,
    }))
    .filter((p) => p.availability !== null);
  return {
    $schema: SCHEMA,
    title: {
      text: "Fleet map: time-based availability per turbine",
      subtitle: PROVINCES_ATTRIBUTION,
    },
    width: 480,
    height: 560,
    projection: { type: "mercator" },
    layer: [
      {
        data: {
          values: provinceOutlines() as object,
          format: { type: "json", property: "features" },
        },
        mark: { type: "geoshape", fill: "#f2f2f2", stroke: "#999", strokeWidth: 0.7 },
      },
      {
        data: { values: points },
        mark: { type: "circle", size: 14, opacity: 0.85 },
        encoding: {
          longitude: { field: "longitude", type: "quantitative" },
          latitude: { field: "latitude", type: "quantitative" },
          color: {
            field: "availability",
            type: "quantitative",
            title: "availability (%)",
            scale: { scheme: "redyellowgreen", domain: [80, 100], clamp: true },
          },
          tooltip: [{ field: "turbine_id" }, { field: "availability" }],
        },
      },
    ],
  };
}
