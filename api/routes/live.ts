// The live view's API: POST /v1/live/tokens (a short-lived token for EventSource), GET /v1/live
// (Server-Sent Events) and GET /v1/live/snapshot (the same state as JSON, for clients that poll
// and for Lambda, where API Gateway's HTTP API cannot hold a stream open).
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { runLiveStream } from "../live/stream.ts";
import { checkLiveToken, LIVE_TOKEN_PREFIX, mintLiveToken } from "../live/token.ts";
import { problemResponse } from "../problem.ts";
import { ProblemSchema } from "../readings/schema.ts";
import { authenticateFleetReader } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

const LiveTokenSchema = z.object({
  token: z.string().openapi({ example: "gust.lv.1795430400.Vh3..." }),
  expires_at: z.string().openapi({ example: "2026-11-23T21:10:00.000Z" }),
  stream_url: z.string().openapi({
    description: "Root-relative URL that opens the stream with it (resolve it against the API's).",
    example: "/v1/live?token=gust.lv.1795430400.Vh3...",
  }),
});

const FleetSchema = z.object({
  power_kw: z.number().openapi({ description: "Sum of every reporting turbine's last power." }),
  capacity_kw: z.number(),
  turbines: z.number().int(),
  turbines_reporting: z.number().int().openapi({ description: "Turbines not silent." }),
  readings_per_second: z.number().openapi({ description: "Stored readings/s, last 10 s." }),
  readings_total: z
    .number()
    .int()
    .openapi({ description: "Readings stored since readings_since." }),
  readings_since: z.string().openapi({
    description:
      "Where readings_total counts from: the server's start; on Lambda, the start of the 15-minute window the snapshot reads.",
  }),
  open_alarms: z.number().int(),
});

export const LiveSnapshotSchema = z
  .object({
    time: z.string(),
    last_event_id: z.string().openapi({ description: "Last alarm event's sequence number." }),
    fleet: FleetSchema,
    provinces: z.array(z.record(z.string(), z.union([z.string(), z.number()]))),
    projects: z.array(z.record(z.string(), z.union([z.string(), z.number()]))),
    history: z.object({
      bucket_seconds: z.number(),
      points: z.array(z.object({ time: z.string(), power_kw: z.number(), turbines: z.number() })),
    }),
    turbines: z.array(z.record(z.string(), z.unknown())),
    alarms: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi("LiveSnapshot");

const tokenRoute = createRoute({
  method: "post",
  path: "/v1/live/tokens",
  operationId: "createLiveToken",
  tags: ["live"],
  summary: "Mint a short-lived token for the live stream",
  description:
    "Browsers' EventSource cannot send an Authorization header, and a long-lived key in a URL " +
    "ends up in logs. Trade a reader or operator key (in the header) for a token valid 10 " +
    "minutes that opens `GET /v1/live?token=...` and `GET /v1/live/snapshot?token=...` only.",
  security: [{ bearerAuth: [] }],
  responses: {
    201: {
      description: "The token.",
      content: { "application/json": { schema: LiveTokenSchema } },
    },
    401: problem("Missing or unknown API key."),
    403: problem("A turbine key: the live view is fleet-wide, use a reader or operator key."),
  },
});

const snapshotRoute = createRoute({
  method: "get",
  path: "/v1/live/snapshot",
  operationId: "getLiveSnapshot",
  tags: ["live"],
  summary: "What the fleet is doing now",
  description:
    "Fleet power now, per province and project, each turbine's last reading and status, the " +
    "open alarms (newest first), readings per second and the fleet power of the last hours " +
    "(one point a minute). The same object the stream sends first. Reader or operator key, or " +
    "a live token (`?token=`).",
  security: [{ bearerAuth: [] }, { liveToken: [] }],
  request: { query: z.object({ token: z.string().optional() }) },
  responses: {
    200: {
      description: "The snapshot.",
      content: { "application/json": { schema: LiveSnapshotSchema } },
    },
    401: problem("No key or token, or an unknown or expired one."),
    403: problem("A turbine key."),
    503: problem("The live view cannot be computed now; retry."),
  },
});

export function registerLiveRoutes(app: GustApp, deps: AppDeps): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "liveToken", {
    type: "apiKey",
    in: "query",
    name: "token",
    description: "A token from POST /v1/live/tokens (10 minutes; opens the live view only).",
  });

  app.openapi(tokenRoute, async (c) => {
    const principal = await authenticateFleetReader(c, deps, "watch the fleet");
    if (principal instanceof Response) return principal as never;
    const { token, expiresAt } = mintLiveToken(await deps.keySecret(), deps.clock.now());
    return c.json(
      {
        token,
        expires_at: new Date(expiresAt).toISOString(),
        // Root-relative: resolved against this request's URL, a relative one named /v1/live/v1/live.
        stream_url: `/v1/live?token=${encodeURIComponent(token)}`,
      },
      201,
    );
  });

  app.openapi(snapshotRoute, async (c) => {
    const denied = await authorizeLive(c, deps);
    if (denied) return denied as never;
    const live = deps.live;
    if (!live) return liveUnavailable() as never;
    c.header("cache-control", "no-store");
    return c.json(await live.snapshot(), 200);
  });

  documentStream(app);
  app.get("/v1/live", async (c) => {
    const denied = await authorizeLive(c, deps);
    if (denied) return denied;
    const hub = deps.live?.hub;
    const live = deps.live;
    if (!hub || !live) {
      return problemResponse(
        501,
        "no-stream",
        "No stream here",
        "This deployment cannot hold a stream open (API Gateway's HTTP API on Lambda): poll GET /v1/live/snapshot instead.",
      );
    }
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("last_event_id");
    c.header("x-accel-buffering", "no");
    return streamSSE(c, (stream) =>
      runLiveStream(stream, {
        hub,
        lastEventId,
        alarmEventsSince: live.alarmEventsSince,
        onDropped: () => console.error("gust: dropped a live stream client that could not keep up"),
      }),
    );
  });
}

/** A reader or operator key, or a live token (query or bearer); the problem to answer otherwise. */
async function authorizeLive(c: Context, deps: AppDeps): Promise<Response | null> {
  const bearer = c.req.header("authorization")?.match(/^Bearer[ ]+(\S+)\s*$/i)?.[1];
  const token =
    c.req.query("token") ?? (bearer?.startsWith(LIVE_TOKEN_PREFIX) ? bearer : undefined);
  if (token !== undefined) {
    const check = checkLiveToken(await deps.keySecret(), token, deps.clock.now());
    if (check === "ok") return null;
    return problemResponse(
      401,
      "unauthorized",
      "Unauthorized",
      check === "expired"
        ? "The live token has expired: mint a new one with POST /v1/live/tokens."
        : "The live token is not valid for this server: mint one with POST /v1/live/tokens.",
    );
  }
  const principal = await authenticateFleetReader(c, deps, "watch the fleet");
  if (principal instanceof Response) return principal;
  return null;
}

function liveUnavailable(): Response {
  return problemResponse(
    503,
    "live-unavailable",
    "Live view unavailable",
    "This server has no live view configured; retry later.",
  );
}

function documentStream(app: GustApp): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/live",
    operationId: "streamLive",
    tags: ["live"],
    summary: "The live view as Server-Sent Events",
    description: [
      "First a `snapshot` event (the object of GET /v1/live/snapshot); then `update` events at",
      "most four a second (fleet, provinces, the last history points, the turbines that sent",
      "readings) and an `alarm` event as each alarm opens or closes. Every event's id is the",
      "sequence number of the last alarm event sent: reconnecting with `Last-Event-ID` (or",
      "`last_event_id=`) sends the alarm events missed since. A client whose backlog exceeds 64",
      "events is disconnected. Not on Lambda (HTTP API cannot stream): 501, poll the snapshot.",
    ].join(" "),
    security: [{ bearerAuth: [] }, { liveToken: [] }],
    request: {
      query: z.object({ token: z.string().optional(), last_event_id: z.string().optional() }),
    },
    responses: {
      200: {
        description: "The event stream.",
        content: { "text/event-stream": { schema: z.string() } },
      },
      401: problem("No key or token, or an unknown or expired one."),
      403: problem("A turbine key."),
      501: problem("This deployment cannot stream (Lambda): poll GET /v1/live/snapshot."),
    },
  });
}
