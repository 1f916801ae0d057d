// GET /v1/turbines/{turbine_id}/measurements: stored readings of one turbine, in time order.
import { createRoute, z } from "@hono/zod-openapi";
import { mayRead } from "../auth/keys.ts";
import { readingFromRow, renderReadingsQuery } from "../queries/readings.ts";
import { queryTarget } from "../queries/sql.ts";
import { StoredReadingSchema, TurbineIdSchema } from "../readings/schema.ts";
import { itemsThatFit } from "./answer-size.ts";
import { authenticate, describePrincipal, forbidden } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";
import { fromNotBeforeTo, QueryTimeSchema, queryInteger, queryTime } from "./query-params.ts";

export const MAX_READINGS_PER_PAGE = 10_000;
const DEFAULT_RANGE_MS = 24 * 3_600_000;

const route = createRoute({
  method: "get",
  path: "/v1/turbines/{turbine_id}/measurements",
  operationId: "listTurbineReadings",
  tags: ["measurements"],
  summary: "Read a turbine's stored readings",
  description:
    "Readings with `from` <= time < `to`, oldest first. Defaults: `to` is 15 minutes from now " +
    "(the latest a reading may be), `from` 24 hours before `to`. When a page is full, " +
    "`next_from` is where the next page starts (a page also ends before the answer would pass 5 MiB).  Reader or operator key, or the turbine's own.",
  security: [{ bearerAuth: [] }],
  request: {
    params: z.object({ turbine_id: TurbineIdSchema }),
    query: z.object({
      from: QueryTimeSchema.optional(),
      to: QueryTimeSchema.optional(),
      limit: queryInteger(1, MAX_READINGS_PER_PAGE, 1000),
    }),
  },
  responses: {
    200: {
      description: "The readings, oldest first.",
      content: {
        "application/json": {
          schema: z.object({
            turbine_id: z.string(),
            readings: z.array(StoredReadingSchema),
            next_from: z.string().nullable(),
          }),
        },
      },
    },
    401: problem("Missing or unknown API key."),
    403: problem("The key may not read this turbine."),
    422: problem("Bad parameters."),
    503: problem("The store is unavailable; retry after Retry-After seconds."),
  },
});

// Problem documents are declared in the route's responses but returned as plain Responses,
// which zod-openapi's handler types cannot express: hence `as never` on those returns.
export function registerTurbineReadingRoutes(app: GustApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const principal = await authenticate(c, deps);
    if (principal instanceof Response) return principal as never;
    const { turbine_id } = c.req.valid("param");
    if (!mayRead(principal, turbine_id)) {
      return forbidden(
        `${describePrincipal(principal)} may not read turbine "${turbine_id}".`,
      ) as never;
    }
    const { from, to, limit } = c.req.valid("query");
    const now = deps.clock.now();
    const end = queryTime(to, now) ?? now + deps.store.writeWindow.maxFutureMs;
    const start = queryTime(from, now) ?? end - DEFAULT_RANGE_MS;
    if (start >= end) return fromNotBeforeTo() as never;
    const rows = await deps.store.select(
      renderReadingsQuery(queryTarget(deps.store), {
        turbineId: turbine_id,
        from: start,
        to: end,
        limit,
      }),
    );
    const all = rows.map(readingFromRow);
    // A page also ends where the answer would outgrow what Lambda can return (answer-size.ts);
    // next_from then continues after the last reading that fits.
    const fit = Math.max(1, itemsThatFit(all));
    const readings = fit < all.length ? all.slice(0, fit) : all;
    const last = readings.at(-1);
    const next_from =
      (readings.length === limit || readings.length < all.length) && last
        ? new Date(Date.parse(last.time) + 1).toISOString()
        : null;
    return c.json({ turbine_id, readings, next_from }, 200);
  });
}
