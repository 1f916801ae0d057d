// POST /v1/measurements: the turbine's write path.
//
// The body is read by hand rather than by the zod-openapi validator, because the contract needs
// checks in a fixed order that a validator middleware cannot give: key (401), media type (415),
// size (413), gzip and JSON (400), schema (422, every error, nothing stored), per-turbine
// permission (403), then the store. The route is still documented from the same zod schemas.
import type { z } from "@hono/zod-openapi";
import { mayWrite } from "../auth/keys.ts";
import { problemResponse, validationProblem } from "../problem.ts";
import { plainValidReadings } from "../readings/fast-validation.ts";
import {
  BodyError,
  checkContentType,
  checkReadingCount,
  decodeBody,
  parseJson,
  readBody,
} from "../readings/request-body.ts";
import {
  IngestBodySchema,
  IngestResultSchema,
  MAX_READINGS_PER_REQUEST,
  ProblemSchema,
  ReadingBatchSchema,
  ReadingSchema,
} from "../readings/schema.ts";
import { checkWriteWindow, summarizeOutcomes, toStoredReading } from "../readings/to-store.ts";
import { turbinesOf, unregisteredDetail } from "../registry/lookup.ts";
import { MeasureLimitError, StoreUnavailableError, type WriteOutcome } from "../store/port.ts";
import { authenticate, describePrincipal, forbidden } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";

export const MEASUREMENTS_PATH = "/v1/measurements";

type IncomingBatch = z.infer<typeof ReadingBatchSchema>;

export function registerMeasurementRoutes(app: GustApp, deps: AppDeps): void {
  documentIngestRoute(app);

  app.post(MEASUREMENTS_PATH, async (c) => {
    const principal = await authenticate(c, deps);
    if (principal instanceof Response) return principal;

    let body: unknown;
    try {
      checkContentType(c.req.header("content-type"));
      const raw = decodeBody(await readBody(c.req), c.req.header("content-encoding"));
      body = parseJson(raw);
      checkReadingCount(body, MAX_READINGS_PER_REQUEST);
    } catch (error) {
      if (error instanceof BodyError) {
        return problemResponse(error.status, error.slug, error.title, error.message);
      }
      throw error;
    }

    const batch = validateBody(body);
    if (batch instanceof Response) return batch;

    const denied = batch.readings.find((reading) => !mayWrite(principal, reading.turbine_id));
    if (denied) {
      return forbidden(
        `${describePrincipal(principal)} may not write readings of turbine "${denied.turbine_id}". ` +
          "Use that turbine's own key, or the operator key for gateways.",
      );
    }

    // The registry entries go to the store (cloud stores write them as dimensions).
    const turbines = await turbinesOf(deps.registry, batch.readings);
    if (deps.requireRegistered) {
      const missing = [...new Set(batch.readings.map((r) => r.turbine_id))].filter(
        (id) => !turbines.has(id),
      );
      if (missing.length > 0) return forbidden(unregisteredDetail(missing));
    }

    const now = deps.now();
    const outcomes: { index: number; outcome: WriteOutcome; detail?: string }[] = [];
    const toWrite: { index: number; reading: ReturnType<typeof toStoredReading> }[] = [];
    batch.readings.forEach((incoming, index) => {
      const reading = toStoredReading(incoming, now);
      const window = checkWriteWindow(reading.time, now, deps.store.writeWindow);
      if (window.ok) toWrite.push({ index, reading });
      else outcomes.push({ index, outcome: window.reason, detail: window.detail });
    });

    try {
      const stored = await deps.store.write(
        toWrite.map((entry) => entry.reading),
        now,
        turbines,
      );
      stored.forEach((outcome, i) => {
        outcomes.push({ index: toWrite[i]?.index ?? i, outcome });
      });
    } catch (error) {
      if (error instanceof MeasureLimitError) {
        return problemResponse(422, "measure-limit", "Too many measure names", error.message);
      }
      if (!(error instanceof StoreUnavailableError)) throw error;
      return problemResponse(
        503,
        "store-unavailable",
        "Store unavailable",
        "The readings were not stored: the store cannot take writes right now. Send the same request again after Retry-After seconds; re-sends are never stored twice.",
        { headers: { "retry-after": String(error.retryAfterSeconds) } },
      );
    }
    return c.json(summarizeOutcomes(outcomes), 200);
  });
}

/** One reading or a batch, as a batch; errors point into what the client sent. */
function validateBody(body: unknown): IncomingBatch | Response {
  const plain = plainValidReadings(body, MAX_READINGS_PER_REQUEST);
  if (plain) return { readings: plain };
  const isBatch = typeof body === "object" && body !== null && "readings" in body;
  if (isBatch) {
    const parsed = ReadingBatchSchema.safeParse(body);
    return parsed.success ? parsed.data : validationProblem("batch", parsed.error.issues);
  }
  const parsed = ReadingSchema.safeParse(body);
  return parsed.success
    ? { readings: [parsed.data] }
    : validationProblem("reading", parsed.error.issues);
}

function documentIngestRoute(app: GustApp): void {
  const problem = (description: string) => ({
    description,
    content: { "application/problem+json": { schema: ProblemSchema } },
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: MEASUREMENTS_PATH,
    tags: ["measurements"],
    summary: "Send readings",
    description: [
      'One reading, or `{"readings": [...]}` with up to 1000. A reading\'s identity is',
      "(turbine_id, time): an identical re-send counts as a duplicate and is stored once; a",
      "different reading with the same identity is rejected as `conflict` unless it carries a",
      "higher `version`, which replaces the stored one. Times more than 15 minutes ahead or",
      "older than the write window are rejected as `too_new` / `too_old`. The whole request is",
      "validated first: any schema error answers 422 and stores nothing. `Content-Encoding: gzip`",
      "is accepted. A 200 means every accepted reading is durably stored.",
    ].join(" "),
    security: [{ bearerAuth: [] }],
    request: {
      body: { required: true, content: { "application/json": { schema: IngestBodySchema } } },
    },
    responses: {
      200: {
        description: "What became of each reading.",
        content: { "application/json": { schema: IngestResultSchema } },
      },
      400: problem("Malformed JSON or gzip."),
      401: problem("Missing or unknown API key."),
      403: problem(
        "The key may not write one of the turbines in the body, or (REQUIRE_REGISTERED) a turbine is not registered.",
      ),
      413: problem("Body over 1 MiB, or more than 1000 readings."),
      415: problem("Content-Type is not application/json, or an unsupported Content-Encoding."),
      422: problem(
        "Schema errors, each with a JSON pointer and the reading's index; or new measure names beyond the store's 256.",
      ),
      503: problem("The store is unavailable; retry after Retry-After seconds."),
    },
  });
}
