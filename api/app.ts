// The gust HTTP app: one factory for every runtime (Node locally, Lambda in the cloud). The
// store and the key secret come in from outside, so routes never know where they run.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { log } from "./log.ts";
import { problemResponse, validationProblem } from "./problem.ts";
import { MemoryRegistry } from "./registry/memory-registry.ts";
import { ConcurrentChangeError, RegistryUnavailableError } from "./registry/port.ts";
import { registerAlarmRoutes } from "./routes/alarms.ts";
import { registerAnalysisRoutes } from "./routes/analyses.ts";
import type { AppDeps, GustApp } from "./routes/deps.ts";
import { registerDocsRoutes } from "./routes/docs.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerLiveRoutes } from "./routes/live.ts";
import { registerLivePageRoutes } from "./routes/live-page.ts";
import { registerMeasurementRoutes } from "./routes/measurements.ts";
import { registerPowerRoutes } from "./routes/power.ts";
import { registerReadingsExportRoutes } from "./routes/readings-export.ts";
import { registerRoleKeyRoutes } from "./routes/role-keys.ts";
import { storeUnavailable } from "./routes/store-unavailable.ts";
import { registerTurbineKeyRoutes } from "./routes/turbine-keys.ts";
import { registerTurbineReadingRoutes } from "./routes/turbine-readings.ts";
import { registerTurbineRoutes } from "./routes/turbines.ts";
import { type Clock, systemClock } from "./time/clock.ts";
import { DependencyUnavailableError } from "./time/deadline.ts";

export type { AppDeps } from "./routes/deps.ts";

const VALIDATION_TARGETS: Record<string, string> = {
  query: "query string",
  param: "path",
  json: "body",
  header: "headers",
};

export type AppOptions = Omit<AppDeps, "clock" | "registry"> & {
  clock?: Clock;
  /** Both entry points pass theirs; tests of a store alone get an empty one in memory. */
  registry?: AppDeps["registry"];
};

/** The routes' dependencies, defaults filled in. */
export function appDeps(options: AppOptions): AppDeps {
  return {
    ...options,
    registry: options.registry ?? new MemoryRegistry(),
    clock: options.clock ?? systemClock,
  };
}

export function createApp(options: AppOptions): GustApp {
  return appFor(appDeps(options));
}

/**
 * The app over dependencies already made: a server that also answers some requests without
 * Hono (api/ingest-listener.ts) hands both the same object, so that they share what is kept
 * per app (the failed-key throttle).
 */
export function appFor(deps: AppDeps): GustApp {
  const app: GustApp = new OpenAPIHono({
    // zod-openapi answers 400 with the issues as a string by default; we answer 422 problems.
    defaultHook: (result) => {
      if (!result.success) {
        return validationProblem(
          VALIDATION_TARGETS[result.target] ?? result.target,
          result.error.issues,
        );
      }
    },
  });

  registerMeasurementRoutes(app, deps);
  registerTurbineRoutes(app, deps);
  registerTurbineKeyRoutes(app, deps);
  registerRoleKeyRoutes(app, deps);
  registerTurbineReadingRoutes(app, deps);
  registerPowerRoutes(app, deps);
  registerAnalysisRoutes(app, deps);
  registerReadingsExportRoutes(app, deps);
  registerHealthRoutes(app, deps);
  registerLiveRoutes(app, deps);
  registerAlarmRoutes(app, deps);
  registerLivePageRoutes(app);
  registerDocsRoutes(app, deps);

  app.notFound((c) =>
    problemResponse(
      404,
      "not-found",
      "Not found",
      `There is no ${c.req.method} ${new URL(c.req.url).pathname}; see /docs for the API.`,
    ),
  );
  app.onError((error, c) => errorResponse(error, requestIdOf(c)));
  return app;
}

/**
 * The answer to an error a route threw: what the client may learn, and a log line for the
 * operator, which names the request (`request_id`) when it is known.
 */
export function errorResponse(error: Error, request_id?: string): Response {
  // A read whose store failed: the client should retry, the operator learns why.
  if (error instanceof DependencyUnavailableError) {
    log.error("store unavailable", { request_id, reason: error.message });
    return storeUnavailable(error);
  }
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own body parsing (malformed JSON on a validated route) lands here.
    return problemResponse(error.status, "bad-request", "Bad request", error.message);
  }
  if (error instanceof ConcurrentChangeError) {
    return problemResponse(409, "conflict", "Conflict", `${error.message}.`);
  }
  if (error instanceof RegistryUnavailableError) {
    return problemResponse(
      503,
      "unavailable",
      "Unavailable",
      `${error.message}. Nothing was changed; send the same request again after Retry-After seconds.`,
      { headers: { "retry-after": "1" } },
    );
  }
  // Log what happened for the operator; the client learns nothing about internals.
  log.error("unhandled error", { request_id, error });
  return problemResponse(
    500,
    "internal",
    "Internal error",
    "The server failed to handle this request and stored nothing from it. Retry later; if it persists, the operator's log says why.",
  );
}

/**
 * The id a client can name a request by: the X-Request-Id it sent, or on Lambda API Gateway's
 * request id (the answer's apigw-requestid header).
 */
function requestIdOf(c: Context): string | undefined {
  const sent = c.req.header("x-request-id");
  if (sent && /^[\w.:-]{1,128}$/.test(sent)) return sent;
  const env = c.env as { requestContext?: { requestId?: unknown } } | undefined;
  const apiGateway = env?.requestContext?.requestId;
  return typeof apiGateway === "string" ? apiGateway : undefined;
}
