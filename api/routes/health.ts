// GET /healthz: no key needed; 200 once the store answers, so load balancers and scripts can wait.
import { createRoute, z } from "@hono/zod-openapi";
import { problemResponse } from "../problem.ts";
import { ProblemSchema } from "../readings/schema.ts";
import { StoreUnavailableError } from "../store/port.ts";
import type { AppDeps, GustApp } from "./deps.ts";

const route = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["operations"],
  summary: "Is the API up and its store reachable?",
  responses: {
    200: {
      description: "Up, and the store answers.",
      content: {
        "application/json": {
          schema: z.object({
            status: z.literal("ok"),
            store: z.enum(["duckdb", "timestream", "influxdb"]),
          }),
        },
      },
    },
    503: {
      description: "The store does not answer.",
      content: { "application/problem+json": { schema: ProblemSchema } },
    },
  },
});

export function registerHealthRoutes(app: GustApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    try {
      await deps.store.ping();
    } catch (error) {
      const retryAfter = error instanceof StoreUnavailableError ? error.retryAfterSeconds : 5;
      return problemResponse(
        503,
        "store-unavailable",
        "Store unavailable",
        `The ${deps.store.kind} store does not answer; try again after Retry-After seconds.`,
        { headers: { "retry-after": String(retryAfter) } },
      ) as never; // declared above; zod-openapi cannot type a plain problem Response
    }
    return c.json({ status: "ok" as const, store: deps.store.kind }, 200);
  });
}
