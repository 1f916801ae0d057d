// GET /healthz: no key needed; 200 once the store answers, so load balancers and scripts can wait.
// The store check is cached for HEALTH_CHECK_TTL_MS: on Timestream every check is a billed query,
// and an unauthenticated caller could otherwise run one per request up to the stage's rate limit.
import { createRoute, z } from "@hono/zod-openapi";
import { problemResponse } from "../problem.ts";
import { StoreUnavailableError } from "../store/port.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";

/** How long one store check answers /healthz (both a success and a failure). */
export const HEALTH_CHECK_TTL_MS = 30_000;

const route = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  tags: ["operations"],
  // Load balancers and scripts call it without a key.
  security: [],
  summary: "Is the API up and its store reachable?",
  description: `The store's query check is cached for ${HEALTH_CHECK_TTL_MS / 1000} s; a store that knows it cannot serve (the embedded store's file or ingest log gone, a stalled disk) answers 503 at once.`,
  responses: {
    200: {
      description: "Up, and the store answers.",
      content: {
        "application/json": {
          schema: z.object({
            status: z.literal("ok"),
            store: z.enum(["duckdb", "timestream", "influxdb"]),
            quarantined_readings: z.number().int().optional().openapi({
              description:
                "Embedded store: acknowledged readings the DuckDB file refused, set aside in DATA_DIR/gust.duckdb.quarantine.jsonl for an operator.",
            }),
          }),
        },
      },
    },
    429: {
      description:
        "Too many requests: the cloud stage's rate limit (API Gateway answers, not gust). Retry with backoff.",
    },
    503: problem("The store does not answer."),
  },
});

export function registerHealthRoutes(app: GustApp, deps: AppDeps): void {
  let check: { at: number; result: Promise<void> } | undefined;
  const storeCheck = (): Promise<void> => {
    const now = deps.clock.now();
    if (!check || now - check.at >= HEALTH_CHECK_TTL_MS) {
      const result = deps.store.ping();
      result.catch(() => {}); // observed by every caller below; never an unhandled rejection
      check = { at: now, result };
    }
    return check.result;
  };
  app.openapi(route, async (c) => {
    try {
      // What the store knows without a query (a lost file or log, a stalled disk) answers at
      // once, never a cached success.
      deps.store.check?.();
      await storeCheck();
    } catch (error) {
      const retryAfter = error instanceof StoreUnavailableError ? error.retryAfterSeconds : 5;
      // The probe learns only "unavailable"; the operator's log says why.
      console.error(
        `gust: /healthz 503: the ${deps.store.kind} store does not answer: ${errorText(error)}`,
      );
      return problemResponse(
        503,
        "store-unavailable",
        "Store unavailable",
        `The ${deps.store.kind} store does not answer; try again after Retry-After seconds.`,
        { headers: { "retry-after": String(retryAfter) } },
      ) as never; // declared above; zod-openapi cannot type a plain problem Response
    }
    const quarantined = deps.store.quarantinedReadings;
    return c.json(
      {
        status: "ok" as const,
        store: deps.store.kind,
        ...(quarantined === undefined ? {} : { quarantined_readings: quarantined }),
      },
      200,
    );
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
