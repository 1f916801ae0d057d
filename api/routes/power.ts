// GET /v1/power: power per time bin, for dashboards and spreadsheets (reader key).
import { createRoute, z } from "@hono/zod-openapi";
import { powerChart } from "../charts/power-chart.ts";
import { PARQUET_MEDIA_TYPE } from "../export/parquet.ts";
import { problemResponse } from "../problem.ts";
import {
  binCount,
  POWER_BINS,
  POWER_GROUPS,
  powerRowsFrom,
  renderPowerQuery,
} from "../queries/power.ts";
import { queryTarget } from "../queries/sql.ts";
import { itemsThatFit, MAX_ANSWER_BYTES } from "./answer-size.ts";
import { authenticateFleetReader } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";
import { QueryTimeSchema, queryRange } from "./query-params.ts";
import { parquetUnavailable, TABULAR_FORMATS, tabularResponse } from "./tabular.ts";

/** The most bins one export answers; longer ranges need a coarser `every`. */
export const MAX_POWER_BINS = 10_000;
/**
 * The most rows (bins x groups) one answer holds: ~110 bytes a row in JSON keeps it near 4 MiB,
 * under Lambda's 6 MB. The fleet by turbine every 15 minutes for a day (74k rows) is refused.
 */
export const MAX_POWER_ROWS = 40_000;
const DEFAULT_RANGE_MS = 24 * 3_600_000;

const PowerBinSchema = z.object({
  time: z
    .string()
    .openapi({ description: "Start of the bin (UTC).", example: "2026-11-23T10:00:00.000Z" }),
  group: z.string().nullable().openapi({ description: "The group's value; null when by=none." }),
  power_kw: z.number().openapi({ description: "Mean power of each turbine in the bin, summed." }),
  energy_kwh: z.number().openapi({ description: "power_kw times the bin's length in hours." }),
  turbines: z.number().int().openapi({ description: "Turbines that reported in the bin." }),
});

const route = createRoute({
  method: "get",
  path: "/v1/power",
  operationId: "getPower",
  tags: ["analysis"],
  summary: "Power per time bin, optionally grouped",
  description:
    "Each bin's power is the mean power of each turbine within the bin, summed across turbines, " +
    "so a turbine that reports twice as often does not count twice. Bins start on UTC " +
    `boundaries (months on the 1st). At most ${MAX_POWER_BINS} bins and ${MAX_POWER_ROWS} rows (bins x groups) per request. Defaults: the 24 ` +
    "hours before now, every=1h, by=none, format=json. Reader or operator key.",
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      from: QueryTimeSchema.optional(),
      to: QueryTimeSchema.optional(),
      every: z.enum(POWER_BINS).default("1h"),
      by: z.enum(POWER_GROUPS).default("none"),
      format: z
        .enum([...TABULAR_FORMATS, "png"])
        .default("json")
        .openapi({
          description:
            "json (default), csv (RFC 4180, formula-safe, numbers to 12 significant digits), parquet (Apache Parquet, zstd; time a UTC timestamp; not on Lambda deployments), or png (the bins as a chart, a line per group, drawn without a browser; not on Lambda deployments).",
        }),
    }),
  },
  responses: {
    200: {
      description: "The bins, oldest first (CSV: the same columns).",
      content: {
        "application/json": {
          schema: z.object({
            from: z.string(),
            to: z.string(),
            every: z.enum(POWER_BINS),
            by: z.enum(POWER_GROUPS),
            bins: z.array(PowerBinSchema),
          }),
        },
        "text/csv": { schema: z.string() },
        [PARQUET_MEDIA_TYPE]: { schema: z.string().openapi({ format: "binary" }) },
        "image/png": { schema: z.string().openapi({ format: "binary" }) },
      },
    },
    406: problem("format=parquet or format=png where no writer for it runs (Lambda)."),
    401: problem("Missing or unknown key."),
    403: problem("A turbine key."),
    422: problem(
      "Bad parameters, or a range with too many bins or rows (the problem says how to ask for less).",
    ),
    503: problem("The store is unavailable; retry after Retry-After seconds."),
  },
});

// Problem documents are declared above but returned as plain Responses, which zod-openapi's
// handler types cannot express: hence `as never` on those returns.
export function registerPowerRoutes(app: GustApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const principal = await authenticateFleetReader(c, deps, "read fleet power");
    if (principal instanceof Response) return principal as never;
    const params = c.req.valid("query");
    const { every, by, format } = params;
    const range = queryRange(params, deps.clock.now(), DEFAULT_RANGE_MS);
    if (range instanceof Response) return range as never;
    const { from: start, to: end } = range;
    const bins = binCount(start, end, every);
    if (bins > MAX_POWER_BINS) {
      return problemResponse(
        422,
        "range-too-large",
        "Range too large",
        `${new Date(start).toISOString()} to ${new Date(end).toISOString()} is ${bins} bins of ${every}, over ${MAX_POWER_BINS}: ask for a coarser every, or page through shorter ranges.`,
        { errors: [{ pointer: "/every", detail: `at most ${MAX_POWER_BINS} bins per request` }] },
      ) as never;
    }
    const query = { from: start, to: end, every, by };
    const rows = powerRowsFrom(
      await deps.store.select(renderPowerQuery(queryTarget(deps.store), query)),
      query,
    );
    if (rows.length > MAX_POWER_ROWS || itemsThatFit(rows) < rows.length) {
      // Both stores alike: the answer must fit what Lambda can return (answer-size.ts).
      return problemResponse(
        422,
        "answer-too-large",
        "Answer too large",
        `${bins} bins of ${every} by ${by} make ${rows.length} rows, over the ${MAX_POWER_ROWS} rows (or ${MAX_ANSWER_BYTES / 1024 / 1024} MiB) one answer may hold: ask for a shorter range (from/to) and page through it, a coarser every, or a coarser by (project or province instead of turbine).`,
        { errors: [{ pointer: "/to", detail: `at most ${MAX_POWER_ROWS} rows per answer` }] },
      ) as never;
    }
    if (format === "png") {
      if (!deps.png) return parquetUnavailable("format=csv or format=json", "PNG") as never;
      const png = await deps.png(powerChart(rows, { by, every }));
      return c.body(png as unknown as ArrayBuffer, 200, {
        "content-type": "image/png",
        "content-disposition": 'inline; filename="power.png"',
      }) as never;
    }
    if (format === "csv" || format === "parquet") {
      return (await tabularResponse(
        c,
        deps,
        format,
        { name: "power", columns: POWER_COLUMNS, rows },
        () => rows,
      )) as never;
    }
    return c.json(
      {
        from: new Date(start).toISOString(),
        to: new Date(end).toISOString(),
        every,
        by,
        bins: rows,
      },
      200,
    );
  });
}

const POWER_COLUMNS = ["time", "group", "power_kw", "energy_kwh", "turbines"] as const;
