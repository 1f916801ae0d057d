// GET /v1/analyses/power-curve, /underperformance, /availability, /energy, /deficits,
// /yaw-misalignment: the wind analyses of
// api/analyses over HTTP (reader or operator key), as JSON, CSV or Parquet.
import { createRoute, z } from "@hono/zod-openapi";
import {
  AVAILABILITY_COLUMNS,
  DEFICIT_COLUMNS,
  ENERGY_COLUMNS,
  POWER_CURVE_COLUMNS,
  UNDERPERFORMANCE_COLUMNS,
  YAW_MISALIGNMENT_COLUMNS,
} from "../analyses/columns.ts";
import {
  DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH,
  DEFAULT_GRID_EMISSION_FACTOR_SOURCE,
  MAX_GRID_EMISSION_FACTOR_KG_PER_KWH,
} from "../analyses/emissions.ts";
import { matches } from "../analyses/filter.ts";
import {
  type AnalysisQuery,
  availabilityAnalysis,
  deficitAnalysis,
  energyAnalysis,
  powerCurveAnalysis,
  UnsupportedOnStore,
  underperformanceAnalysis,
  yawMisalignmentAnalysis,
} from "../analyses/run.ts";
import { type AnalysisSource, describeRows, type TurbineFacts } from "../analyses/scan.ts";
import { problemResponse } from "../problem.ts";
import { canNormaliseDensity } from "../queries/scada.ts";
import { TurbineIdSchema } from "../readings/schema.ts";
import { authenticateFleetReader } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";
import { QueryTimeSchema, queryRange } from "./query-params.ts";
import { FormatSchema, tabularContent, tabularResponse } from "./tabular.ts";

const DEFAULT_RANGE_MS = 7 * 86_400_000;
/** The longest period one request analyses (a year and a day). */
export const MAX_ANALYSIS_RANGE_MS = 366 * 86_400_000;

const QuerySchema = z.object({
  from: QueryTimeSchema.optional(),
  to: QueryTimeSchema.optional(),
  turbine_id: TurbineIdSchema.optional(),
  project: z.string().min(1).max(256).optional(),
  model: z.string().min(1).max(256).optional(),
  format: FormatSchema,
});

const EnergyQuerySchema = QuerySchema.extend({
  emission_factor: z.coerce
    .number()
    .min(0)
    .max(MAX_GRID_EMISSION_FACTOR_KG_PER_KWH)
    .optional()
    .openapi({
      description: `The grid's emission factor for emissions avoided, kg CO2 per kWh (default ${DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH}: ${DEFAULT_GRID_EMISSION_FACTOR_SOURCE}).`,
      example: DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH,
    }),
});

function analysisRoute(
  path: string,
  operationId: string,
  summary: string,
  description: string,
  row: z.ZodType,
  query: typeof QuerySchema | typeof EnergyQuerySchema = QuerySchema,
) {
  return createRoute({
    method: "get",
    path,
    operationId,
    tags: ["analysis"],
    summary,
    description: `${description} Defaults: the 7 days before now, every turbine, format=json. At most 366 days per request. Reader or operator key.`,
    security: [{ bearerAuth: [] }],
    request: { query },
    responses: {
      200: {
        description: "The rows (CSV and Parquet: the same columns).",
        content: tabularContent(
          z.object({
            from: z.string(),
            to: z.string(),
            density_normalised: z.boolean(),
            row_unit: z.enum(["turbine", "project", "mixed", "none"]).openapi({
              description:
                "What a turbine_id of the rows is: one turbine, or a whole project reporting as one (registry tag `turbines`).",
            }),
            row_unit_description: z.string(),
            grid_emission_factor_kg_per_kwh: z.number().optional().openapi({
              description: "Energy only: the factor its emissions_avoided_t used.",
            }),
            grid_emission_factor_source: z.string().optional(),
            rows: z.array(row),
          }),
        ),
      },
      401: problem("Missing or unknown key."),
      403: problem("A turbine key."),
      406: problem("format=parquet where no Parquet writer runs (Lambda)."),
      422: problem("Bad parameters, or a range that is empty or longer than 366 days."),
      501: problem(
        "An analysis this store cannot run (deficits and yaw misalignment on InfluxDB).",
      ),
      503: problem("The store or the registry cannot answer now; retry."),
    },
  });
}

const n = z.number();
const nn = z.number().nullable();
const s = z.string().nullable();

const PowerCurveRow = z.object({
  level: z.enum(["model", "turbine"]),
  model: s,
  turbine_id: s,
  bin_ms: n.openapi({ description: "Centre of the 0.5 m/s bin of normalised wind." }),
  wind_ms: n.openapi({ description: "Mean normalised wind in the bin." }),
  power_kw: n.openapi({
    description:
      "Mean power in the bin. Model rows: the model's rows pooled per kW of rated power, times one turbine's rating.",
  }),
  power_per_rated: nn.openapi({
    description: "The same per kW of rated power (kW/kW); null without a rating in the registry.",
  }),
  readings: n,
  data_minutes: n,
  thin: z.boolean().openapi({ description: "Under 30 minutes of data (IEC 61400-12-1)." }),
  density_normalised: z.boolean(),
  curve_hours: n.openapi({ description: "The whole curve's hours of data (IEC asks for 180)." }),
  curve_bins_missing: nn.openapi({
    description:
      "Bins from the measured cut-in to 1.5 x the wind at 85% of rated power with under 30 minutes; null when the curve never reaches 85%.",
  }),
  iec_complete: z.boolean().openapi({
    description:
      "The IEC 61400-12-1 database completeness check is met: 180 h in all and every bin of that range filled.",
  }),
});
const UnderperformanceRow = z.object({
  rank: n,
  turbine_id: z.string(),
  project: s,
  model: s,
  producing_hours: n,
  actual_mwh: n,
  expected_mwh: n,
  shortfall_mwh: n,
  shortfall_pct: n,
  flagged: z.boolean().openapi({ description: "Shortfall >= 3% over >= 24 producing hours." }),
});
const AvailabilityRow = z.object({
  level: z.enum(["fleet", "project", "turbine"]),
  turbine_id: s,
  project: s,
  model: s,
  province: s,
  turbines: n,
  period_hours: n,
  data_hours: n,
  unknown_hours: n,
  fault_hours: n,
  maintenance_hours: n,
  curtailed_hours: n,
  time_availability_pct: nn,
  energy_mwh: n,
  lost_fault_mwh: n,
  lost_maintenance_mwh: n,
  lost_curtailment_mwh: n,
  production_availability_pct: nn,
});

const EnergyRow = z.object({
  level: z.enum(["fleet", "province", "project", "turbine"]),
  name: z.string(),
  turbines: n,
  rated_kw: n,
  energy_mwh: n,
  capacity_factor: nn,
  data_coverage: n,
  emissions_avoided_t: n.openapi({
    description:
      "Tonnes of CO2 the grid would have emitted for the same energy: energy x emission_factor.",
  }),
});

const DeficitRow = z.object({
  turbine_id: z.string(),
  project: s,
  model: s,
  cause: z.enum(["derating", "icing", "underproduction"]).openapi({
    description:
      "derating: power flat under 90% of rated while producing; icing: at or below 3 °C; else underproduction.",
  }),
  from: z.string().openapi({ description: "Start of the period's first hour (UTC)." }),
  to: z.string().openapi({ description: "End of its last hour." }),
  hours: n,
  actual_mwh: n,
  expected_mwh: n.openapi({
    description: "The model's reference curve (without any deficit hour) at the turbine's wind.",
  }),
  lost_mwh: n,
  ratio: n.openapi({ description: "actual / expected over the period (each hour under 0.85)." }),
  min_temperature_c: nn,
});

const YawRow = z.object({
  turbine_id: z.string(),
  project: s,
  model: s,
  yaw_misalignment_deg: nn.openapi({
    description:
      "The turbine's mean vane angle minus the vane angle where power peaks (a cos² fit per 1 m/s wind bin below rated): how far the rotor stands off the wind when its vane reads 0. Null without enough data.",
  }),
  mean_vane_deg: nn,
  spread_deg: nn.openapi({ description: "Spread of the estimate across wind bins." }),
  wind_bins: n,
  readings: n,
  flagged: z.boolean().openapi({ description: "|yaw_misalignment_deg| >= 7." }),
});

const ROUTES = [
  {
    name: "power-curve",
    route: analysisRoute(
      "/v1/analyses/power-curve",
      "getPowerCurve",
      "IEC 61400-12-1 power curves per model and turbine",
      "Producing readings only, wind normalised to 1.225 kg/m3 where ambient temperature and pressure were stored (power instead for rows tagged control=stall), bins centred on multiples of 0.5 m/s with the readings in each, bins under 30 minutes of data marked thin, and every curve's IEC database completeness check on its rows. Model rows pool all the model's turbines; a turbine or project filter leaves only turbine rows.",
      PowerCurveRow,
    ),
    run: powerCurveAnalysis,
    columns: POWER_CURVE_COLUMNS,
  },
  {
    name: "underperformance",
    route: analysisRoute(
      "/v1/analyses/underperformance",
      "getUnderperformance",
      "Turbines ranked by shortfall against their model's fleet curve",
      "Each turbine's producing energy against its model's reference curve (the fleet curve of that model over the period) at its own normalised wind; shortfall in percent and MWh; flagged at 3% or more over at least 24 producing hours.",
      UnderperformanceRow,
    ),
    run: underperformanceAnalysis,
    columns: UNDERPERFORMANCE_COLUMNS,
  },
  {
    name: "availability",
    route: analysisRoute(
      "/v1/analyses/availability",
      "getAvailability",
      "Time- and production-based availability and lost energy per cause",
      "After IEC 61400-26-1/-2, simplified (see docs/analyses.md): time without readings is unknown and left out; fault and maintenance are unavailable; lost energy per cause (fault, maintenance, curtailment) valued at the model's reference curve at the measured wind. Rows for the fleet, each project and each turbine.",
      AvailabilityRow,
    ),
    run: availabilityAnalysis,
    columns: AVAILABILITY_COLUMNS,
  },
  {
    name: "energy",
    route: analysisRoute(
      "/v1/analyses/energy",
      "getEnergy",
      "Energy, capacity factor and emissions avoided per turbine, project, province and fleet",
      "Energy is each reading's power times the time it stands for; capacity factor against the registry's rated power over the whole period; emissions avoided = energy x the grid's emission factor (emission_factor, kg CO2/kWh).",
      EnergyRow,
      EnergyQuerySchema,
    ),
    run: energyAnalysis,
    columns: ENERGY_COLUMNS,
  },
  {
    name: "deficits",
    route: analysisRoute(
      "/v1/analyses/deficits",
      "getDeficits",
      "Periods a turbine produced well under its model's curve, with their likely cause",
      "Hours at least half producing where the reference expects 15% of rated power or more and the turbine made under 85% of it, joined into periods of two hours or more; the reference is built without those hours. Cause per period: derating (flat power under 90% of rated that SCADA did not call curtailment), icing (at or below 3 °C), else underproduction. Largest loss first. DuckDB and Timestream stores.",
      DeficitRow,
    ),
    run: deficitAnalysis,
    columns: DEFICIT_COLUMNS,
  },
  {
    name: "yaw-misalignment",
    route: analysisRoute(
      "/v1/analyses/yaw-misalignment",
      "getYawMisalignment",
      "Static yaw misalignment per turbine from its vane angle and power",
      "After OpenOA's static yaw misalignment: producing readings with yaw_error_deg (the vane angle), per 1 m/s wind bin where the turbine makes 10-60% of rated, the power coefficient (power / wind³) by 1° vane bin fitted with A cos²(v - θ); misalignment = mean vane angle - θ, averaged over the bins. Largest first; flagged at 7° or more. Empty when no vane angle was stored. DuckDB and Timestream stores.",
      YawRow,
    ),
    run: yawMisalignmentAnalysis,
    columns: YAW_MISALIGNMENT_COLUMNS,
  },
] as const;

export function registerAnalysisRoutes(app: GustApp, deps: AppDeps): void {
  for (const { name, route, run, columns } of ROUTES) {
    app.openapi(route, async (c) => {
      const principal = await authenticateFleetReader(c, deps, "read fleet analyses");
      if (principal instanceof Response) return principal as never;
      const params = c.req.valid("query");
      const { turbine_id, project, model, format } = params;
      const range = queryRange(params, deps.clock.now(), DEFAULT_RANGE_MS);
      if (range instanceof Response) return range as never;
      const { from: start, to: end } = range;
      if (end - start > MAX_ANALYSIS_RANGE_MS) {
        return problemResponse(
          422,
          "range-too-large",
          "Range too large",
          "An analysis covers at most 366 days: ask for a shorter range.",
          { errors: [{ pointer: "/from", detail: "at most 366 days before to" }] },
        ) as never;
      }
      const turbines: TurbineFacts[] = await deps.registry.list();
      const factor =
        name === "energy" && "emission_factor" in params ? params.emission_factor : undefined;
      const emissionFactor = factor ?? DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH;
      const query: AnalysisQuery = {
        from: start,
        to: end,
        turbine_id,
        project,
        model,
        gridEmissionFactorKgPerKwh: emissionFactor,
      };
      const source: AnalysisSource = deps.store;
      const measures = (await source.measureColumns?.()) ?? new Set<string>();
      let rows: object[];
      try {
        rows = await run(source, turbines, query);
      } catch (error) {
        if (!(error instanceof UnsupportedOnStore)) throw error;
        return problemResponse(
          501,
          "not-on-this-store",
          "Not on this store",
          error.message,
        ) as never;
      }
      const unit = describeRows(turbines.filter((t) => matches(query, t.turbine_id, t)));
      return (await tabularResponse(c, deps, format, { name, columns, rows }, () => ({
        from: new Date(start).toISOString(),
        to: new Date(end).toISOString(),
        density_normalised: canNormaliseDensity(measures),
        ...unit,
        ...(name === "energy"
          ? {
              grid_emission_factor_kg_per_kwh: emissionFactor,
              grid_emission_factor_source:
                factor === undefined
                  ? DEFAULT_GRID_EMISSION_FACTOR_SOURCE
                  : "given (emission_factor)",
            }
          : {}),
        rows,
      }))) as never;
    });
  }
}
