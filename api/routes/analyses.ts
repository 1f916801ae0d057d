// GET /v1/analyses/power-curve, /underperformance, /availability: the wind analyses of
// api/analyses over HTTP (reader or operator key), as JSON, CSV or Parquet.
import { createRoute, z } from "@hono/zod-openapi";
import {
  AVAILABILITY_COLUMNS,
  POWER_CURVE_COLUMNS,
  UNDERPERFORMANCE_COLUMNS,
} from "../analyses/columns.ts";
import { matches } from "../analyses/filter.ts";
import {
  type AnalysisQuery,
  availabilityAnalysis,
  powerCurveAnalysis,
  underperformanceAnalysis,
} from "../analyses/run.ts";
import { type AnalysisSource, describeRows, type TurbineFacts } from "../analyses/scan.ts";
import { problemResponse } from "../problem.ts";
import { canNormaliseDensity } from "../queries/scada.ts";
import { ProblemSchema, TurbineIdSchema } from "../readings/schema.ts";
import { authenticateFleetReader } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
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

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

function analysisRoute(
  path: string,
  operationId: string,
  summary: string,
  description: string,
  row: z.ZodType,
) {
  return createRoute({
    method: "get",
    path,
    operationId,
    tags: ["analysis"],
    summary,
    description: `${description} Defaults: the 7 days before now, every turbine, format=json. At most 366 days per request. Reader or operator key.`,
    security: [{ bearerAuth: [] }],
    request: { query: QuerySchema },
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
            rows: z.array(row),
          }),
        ),
      },
      401: problem("Missing or unknown key."),
      403: problem("A turbine key."),
      406: problem("format=parquet where no Parquet writer runs (Lambda)."),
      422: problem("Bad parameters, or a range that is empty or longer than 366 days."),
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

const ROUTES = [
  {
    name: "power-curve",
    route: analysisRoute(
      "/v1/analyses/power-curve",
      "getPowerCurve",
      "IEC 61400-12-1 power curves per model and turbine",
      "Producing readings only, wind normalised to 1.225 kg/m3 where ambient temperature and pressure were stored, 0.5 m/s bins with the readings in each and bins under 30 minutes of data marked thin. Model rows pool all the model's turbines; a turbine or project filter leaves only turbine rows.",
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
      const query: AnalysisQuery = { from: start, to: end, turbine_id, project, model };
      const source: AnalysisSource = deps.store;
      const measures = (await source.measureColumns?.()) ?? new Set<string>();
      const rows: object[] = await run(source, turbines, query);
      const unit = describeRows(turbines.filter((t) => matches(query, t.turbine_id, t)));
      return (await tabularResponse(c, deps, format, { name, columns, rows }, () => ({
        from: new Date(start).toISOString(),
        to: new Date(end).toISOString(),
        density_normalised: canNormaliseDensity(measures),
        ...unit,
        rows,
      }))) as never;
    });
  }
}
