// The live view's API: POST /v1/live/tokens (a short-lived token for EventSource), GET /v1/live
// (Server-Sent Events) and GET /v1/live/snapshot (the same state as JSON, for clients that poll
// and for Lambda, where API Gateway's HTTP API cannot hold a stream open).

import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { LIVE_RETRY_AFTER_S, type LiveStreams } from "../live/stream.ts";
import { checkLiveToken, LIVE_TOKEN_PREFIX, mintLiveToken } from "../live/token.ts";
import { problemResponse } from "../problem.ts";
import { authenticateFleetReader } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";

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
    if (denied instanceof Response) return denied as never;
    const live = deps.live;
    if (!live) return liveUnavailable() as never;
    c.header("cache-control", "no-store");
    const snapshot = await live.snapshot();
    if (typeof snapshot === "string") {
      return c.body(snapshot, 200, { "content-type": "application/json" }) as never;
    }
    return c.json(snapshot, 200);
  });

  documentStream(app);
  app.get("/v1/live", async (c) => {
    const access = await authorizeLive(c, deps);
    if (access instanceof Response) return access;
    const streams = deps.live?.streams;
    const outgoing = (c.env as HttpBindings | undefined)?.outgoing;
    if (!streams || !outgoing) {
      return problemResponse(
        501,
        "no-stream",
        "No stream here",
        "This deployment cannot hold a stream open (API Gateway's HTTP API on Lambda): poll GET /v1/live/snapshot instead.",
      );
    }
    const refused = refuseStream(streams, access.key);
    if (refused) return refused;
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("last_event_id");
    streams.open(outgoing, { key: access.key, lastEventId });
    return RESPONSE_ALREADY_SENT;
  });
}

/** 429 when the key holds as many streams as one key may, 503 when the server holds its most. */
function refuseStream(streams: LiveStreams, key: string): Response | null {
  const why = streams.refusal(key);
  if (why === null) return null;
  const headers = { "retry-after": String(LIVE_RETRY_AFTER_S) };
  const { maxClients, maxClientsPerKey } = streams.limits;
  return why === "per-key"
    ? problemResponse(
        429,
        "too-many-streams",
        "Too many live streams for this key",
        `This key already holds ${maxClientsPerKey} live streams, the most one key may (live tokens count as one key): close one (each open page holds one), or poll GET /v1/live/snapshot.`,
        { headers },
      )
    : problemResponse(
        503,
        "live-streams-full",
        "Live streams full",
        `This server holds ${maxClients} live streams, the most it serves at once: retry after ${LIVE_RETRY_AFTER_S} s, or poll GET /v1/live/snapshot.`,
        { headers },
      );
}

/**
 * A reader or operator key, or a live token (query or bearer): the key its streams count
 * against, or the problem to answer. Live tokens are not tied to the key that minted them, so
 * they count as one key together.
 */
async function authorizeLive(c: Context, deps: AppDeps): Promise<{ key: string } | Response> {
  const bearer = c.req.header("authorization")?.match(/^Bearer[ ]+(\S+)\s*$/i)?.[1];
  const token =
    c.req.query("token") ?? (bearer?.startsWith(LIVE_TOKEN_PREFIX) ? bearer : undefined);
  if (token !== undefined) {
    const check = checkLiveToken(await deps.keySecret(), token, deps.clock.now());
    if (check === "ok") return { key: "live-token" };
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
  return { key: principal.role };
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
      "`last_event_id=`) sends the alarm events missed since. A client that does not read is",
      "disconnected: more than 64 events behind while it takes its snapshot, or more than 1 MiB",
      "unsent after it. Streams are capped per key (429) and in total (503), both with",
      "Retry-After. Not on Lambda (HTTP API cannot stream): 501, poll the snapshot.",
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
      429: problem("This key holds as many live streams as one key may; close one."),
      501: problem("This deployment cannot stream (Lambda): poll GET /v1/live/snapshot."),
      503: problem("The server holds as many live streams as it serves; retry later."),
    },
  });
}
