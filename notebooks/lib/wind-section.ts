// The report's wind-analysis section: power curves per model, the underperformance ranking,
// availability and lost energy per cause, energy and capacity factor, and the fleet map. Every
// figure comes from api/analyses over one scan of the period, with the registry's turbines.
import * as aq from "arquero";
import {
  DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH,
  DEFAULT_GRID_EMISSION_FACTOR_SOURCE,
} from "../../api/analyses/emissions.ts";
import { analyseAll, type WindAnalyses } from "../../api/analyses/run.ts";
import type { TurbineFacts } from "../../api/analyses/scan.ts";
import type { TimeRange } from "../../api/queries/analysis.ts";
import type { ReadingStore } from "../../api/store/port.ts";
import { renderSvg } from "./charts.ts";
import type { ReportTable } from "./report.ts";
import type { Table } from "./tables.ts";
import {
  availabilityMapChart,
  lostEnergyChart,
  modelPowerCurvesChart,
  type TurbinePlace,
  underperformanceChart,
} from "./wind-charts.ts";

export interface WindSection {
  analyses: WindAnalyses;
  tables: Record<string, Table>;
  headline: string[];
  reportTables: ReportTable[];
}

export async function windSection(
  store: ReadingStore,
  turbines: readonly (TurbineFacts & Partial<TurbinePlace>)[],
  range: TimeRange,
  gridEmissionFactorKgPerKwh = DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH,
): Promise<WindSection> {
  const analyses = await analyseAll(store, turbines, { ...range, gridEmissionFactorKgPerKwh });
  const table = (rows: readonly object[]) => aq.from(rows as object[]);
  const tables: Record<string, Table> = {
    iec_power_curves: table(analyses.powerCurves),
    underperformance: table(analyses.underperformance),
    availability: table(analyses.availability),
    energy: table(analyses.energy),
  };
  const fleet = analyses.availability.find((r) => r.level === "fleet");
  const flagged = analyses.underperformance.filter((r) => r.flagged);
  const fleetEnergy = analyses.energy.find((r) => r.level === "fleet");
  const unit = analyses.rows.row_unit === "project" ? "project" : "turbine";
  const headline = [
    `rows: ${analyses.rows.row_unit_description}`,
    `availability: ${fleet?.time_availability_pct ?? "?"}% time-based, ${fleet?.production_availability_pct ?? "?"}% production-based; ${fleet?.unknown_hours ?? 0} turbine-hours without data; lost ${fleet?.lost_fault_mwh ?? 0} MWh to faults, ${fleet?.lost_maintenance_mwh ?? 0} MWh to maintenance, ${fleet?.lost_curtailment_mwh ?? 0} MWh to curtailment`,
    `capacity factor ${fleetEnergy?.capacity_factor === null || fleetEnergy === undefined ? "?" : (fleetEnergy.capacity_factor * 100).toFixed(1)}% over ${fleetEnergy?.turbines ?? 0} registered ${unit}s; ${flagged.length} ${unit}(s) flagged as underperforming${
      flagged.length
        ? `: ${flagged
            .slice(0, 8)
            .map((r) => `${r.turbine_id} (${r.shortfall_pct}%)`)
            .join(", ")}`
        : ""
    }`,
    `emissions avoided: ${fleetEnergy?.emissions_avoided_t.toLocaleString("en") ?? 0} t CO2 (${fleetEnergy?.energy_mwh.toLocaleString("en") ?? 0} MWh x ${gridEmissionFactorKgPerKwh} kg CO2/kWh: ${gridEmissionFactorKgPerKwh === DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH ? DEFAULT_GRID_EMISSION_FACTOR_SOURCE : "the factor given"})`,
  ];
  return {
    analyses,
    tables,
    headline,
    reportTables: [
      {
        title: `Underperformance per ${unit} (against the model's fleet curve per kW rated)`,
        table: tables.underperformance as Table,
        limit: 20,
        blank: "not known: no registered model or project, or too few producing hours to compare",
      },
      {
        title: "Availability and lost energy per project (least available first)",
        table: table(
          analyses.availability
            .filter((r) => r.level !== "turbine")
            .sort((a, b) => (a.time_availability_pct ?? 101) - (b.time_availability_pct ?? 101)),
        ),
        limit: 20,
        // Per project and the fleet, so no turbine_id; the hours of data are in the CSV.
        columns: [
          "level",
          "project",
          "model",
          "province",
          "turbines",
          "time_availability_pct",
          "production_availability_pct",
          "unknown_hours",
          "fault_hours",
          "maintenance_hours",
          "curtailed_hours",
          "energy_mwh",
          "lost_fault_mwh",
          "lost_maintenance_mwh",
          "lost_curtailment_mwh",
        ],
        blank:
          "not applicable: the fleet row spans every project, model and province; an availability without hours of data",
      },
      {
        title: "Energy, capacity factor and emissions avoided per province",
        table: table(analyses.energy.filter((r) => r.level === "province" || r.level === "fleet")),
        limit: 20,
        blank: "not known: no rated power registered for these turbines",
      },
    ],
  };
}

export async function windCharts(
  section: WindSection,
  turbines: readonly (TurbineFacts & Partial<TurbinePlace>)[],
): Promise<{ id: string; svg: string }[]> {
  const { analyses } = section;
  const places: TurbinePlace[] = turbines.map((t) => ({
    turbine_id: t.turbine_id,
    latitude: t.latitude ?? null,
    longitude: t.longitude ?? null,
  }));
  return Promise.all([
    renderSvg(modelPowerCurvesChart(analyses.powerCurves, analyses.underperformance)).then(
      (svg) => ({ id: "model-power-curves", svg }),
    ),
    renderSvg(underperformanceChart(analyses.underperformance)).then((svg) => ({
      id: "underperformance",
      svg,
    })),
    renderSvg(lostEnergyChart(analyses.availability)).then((svg) => ({ id: "lost-energy", svg })),
    renderSvg(availabilityMapChart(analyses.availability, places)).then((svg) => ({
      id: "availability-map",
      svg,
    })),
  ]);
}
