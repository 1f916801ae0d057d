// GET /v1/alarms: alarms, newest first, filtered by state, turbine and time (reader key).
import { createRoute, z } from "@hono/zod-openapi";
import { ALARM_RULES, alarmJson } from "../live/alarm.ts";
import { problemResponse } from "../problem.ts";
import { ProblemSchema, TurbineIdSchema } from "../readings/schema.ts";
import { authenticateFleetReader } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { fromNotBeforeTo, QueryTimeSchema, queryInteger, queryTime } from "./query-params.ts";

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

export const AlarmSchema = z
  .object({
    id: z.string().openapi({ example: "0b6f7c9e-3f0a-4d55-9d0c-5f1f1b2f6a10" }),
    turbine_id: z.string().openapi({ example: "nl-0042" }),
    rule: z.enum(ALARM_RULES),
    opened_at: z.string().openapi({ example: "2026-11-23T21:04:05.000Z" }),
    closed_at: z.string().nullable(),
    detail: z
      .string()
      .openapi({ example: "status fault since 2026-11-23T21:04:00.000Z (0 s so far)" }),
    reading: z.record(z.string(), z.unknown()).nullable().openapi({
      description:
        "The reading that opened it (rejections: the rejected reading's identity and reason).",
    }),
  })
  .openapi("Alarm");

const route = createRoute({
  method: "get",
  path: "/v1/alarms",
  operationId: "listAlarms",
  tags: ["alarms"],
  summary: "List alarms",
  description:
    "Newest first. `state` open or closed; `turbine_id`; `from`/`to`: alarms open at some " +
    "moment of [from, to). Rules: silent, fault, underperforming, rejections (docs/live-and-alarms.md). " +
    "Reader or operator key.",
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      state: z.enum(["open", "closed"]).optional(),
      turbine_id: TurbineIdSchema.optional(),
      from: QueryTimeSchema.optional(),
      to: QueryTimeSchema.optional(),
      limit: queryInteger(1, 10_000, 1000),
    }),
  },
  responses: {
    200: {
      description: "The alarms.",
      content: { "application/json": { schema: z.object({ alarms: z.array(AlarmSchema) }) } },
    },
    401: problem("Missing or unknown API key."),
    403: problem("A turbine key: alarms are the operator's view of the fleet."),
    422: problem("Bad parameters."),
    503: problem("The alarm store is not available here; retry later."),
  },
});

export function registerAlarmRoutes(app: GustApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const principal = await authenticateFleetReader(c, deps, "list the fleet's alarms");
    if (principal instanceof Response) return principal as never;
    const query = c.req.valid("query");
    const now = deps.clock.now();
    const from = queryTime(query.from, now);
    const to = queryTime(query.to, now);
    if (from !== undefined && to !== undefined && from >= to) {
      return fromNotBeforeTo() as never;
    }
    if (!deps.alarms) {
      return problemResponse(
        503,
        "alarms-unavailable",
        "Alarms unavailable",
        "This server keeps no alarms; retry later.",
      ) as never;
    }
    const alarms = await deps.alarms.list({
      state: query.state,
      turbineId: query.turbine_id,
      from,
      to,
      limit: query.limit,
    });
    return c.json({ alarms: alarms.map(alarmJson) }, 200);
  });
}
