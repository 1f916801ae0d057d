// GET /v1/alarms: alarms, newest first, filtered by state, turbine and time (reader key).
import { createRoute, z } from "@hono/zod-openapi";
import { ALARM_RULES, alarmJson } from "../live/alarm.ts";
import { problemResponse } from "../problem.ts";
import { TurbineIdSchema } from "../readings/schema.ts";
import { authenticateFleetReader } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";
import {
  fromNotBeforeTo,
  invalidCursor,
  QueryTimeSchema,
  queryInteger,
  queryTime,
} from "./query-params.ts";

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
    "Paging: pass `next_cursor` as `cursor`. Reader or operator key.",
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      state: z.enum(["open", "closed"]).optional(),
      turbine_id: TurbineIdSchema.optional(),
      from: QueryTimeSchema.optional(),
      to: QueryTimeSchema.optional(),
      limit: queryInteger(1, 10_000, 1000),
      cursor: z.string().optional().openapi({ description: "next_cursor of the previous page." }),
    }),
  },
  responses: {
    200: {
      description: "One page of alarms.",
      content: {
        "application/json": {
          schema: z.object({
            alarms: z.array(AlarmSchema),
            next_cursor: z.string().nullable().openapi({
              description:
                "Pass as `cursor` (with the same filters) for the next page; null on the last.",
            }),
          }),
        },
      },
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
    let after: { openedAt: number; id: string } | undefined;
    if (query.cursor !== undefined) {
      after = fromCursor(query.cursor);
      if (!after) {
        return invalidCursor() as never;
      }
    }
    // One more than the page, to know whether another follows.
    const found = await deps.alarms.list({
      state: query.state,
      turbineId: query.turbine_id,
      from,
      to,
      ...(after ? { after } : {}),
      limit: query.limit + 1,
    });
    const page = found.slice(0, query.limit);
    const last = page.at(-1);
    return c.json(
      {
        alarms: page.map(alarmJson),
        next_cursor: found.length > query.limit && last ? toCursor(last) : null,
      },
      200,
    );
  });
}

/** The last alarm of a page as a cursor: where the next page starts in the listing's order. */
function toCursor(alarm: { opened_at: number; id: string }): string {
  return Buffer.from(JSON.stringify([alarm.opened_at, alarm.id])).toString("base64url");
}

function fromCursor(cursor: string): { openedAt: number; id: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === "string" &&
      value[1].length > 0 &&
      value[1].length <= 100
    ) {
      return { openedAt: value[0], id: value[1] };
    }
  } catch {
    // not JSON: not ours
  }
  return undefined;
}
