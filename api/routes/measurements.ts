// POST /v1/measurements: the turbine's write path.
//
// The body is read by hand rather than by the zod-openapi validator, because the contract needs
// checks in a fixed order that a validator middleware cannot give: key (401), a reader key (403),
// media type (415), size and shape (413, before JSON.parse builds anything), gzip and JSON (400),
// a turbine key naming another turbine (403), schema (422, the first 100 errors, nothing stored),
// then the store. The route is still documented from the same zod schemas.
import { z } from "@hono/zod-openapi";
import { mayWrite, type Principal } from "../auth/keys.ts";
import {
  fieldErrors,
  fieldErrorsProblem,
  isAnswer,
  MAX_LISTED_ERRORS,
  type ProblemFieldError,
  problemResponse,
  validationProblem,
} from "../problem.ts";
import { isPlainReading, plainValidReadings } from "../readings/fast-validation.ts";
import {
  BodyError,
  ClientGoneError,
  checkContentType,
  decodeBody,
  parseJson,
  readBody,
} from "../readings/request-body.ts";
import {
  type IncomingReading,
  IngestBodySchema,
  type IngestResult,
  IngestResultSchema,
  MAX_READINGS_PER_REQUEST,
  ProblemSchema,
  type ReadingBatchSchema,
  ReadingSchema,
} from "../readings/schema.ts";
import { checkWriteWindow, summarizeOutcomes, toStoredReading } from "../readings/to-store.ts";
import { turbinesOf, unregisteredDetail } from "../registry/lookup.ts";
import {
  MeasureLimitError,
  type Reading,
  StoreUnavailableError,
  type WriteOutcome,
} from "../store/port.ts";
import { malformedStrings, mayHoldLoneSurrogate } from "../unicode.ts";
import { authenticate, describePrincipal, forbidden } from "./auth.ts";
import type { AppDeps, GustApp, ReadingRejection } from "./deps.ts";
import { storeUnavailable } from "./store-unavailable.ts";

export const MEASUREMENTS_PATH = "/v1/measurements";

type IncomingBatch = z.infer<typeof ReadingBatchSchema>;

export function registerMeasurementRoutes(app: GustApp, deps: AppDeps): void {
  documentIngestRoute(app);

  app.post(MEASUREMENTS_PATH, async (c) => {
    const answer = await ingest(
      {
        header: (name) => c.req.header(name),
        readBody: () => readBody(c.req),
        // Only asked at the few points where a gone client saves work (the raw Request's
        // signal is built on first use).
        gone: () => c.req.raw.signal.aborted,
        env: c.env,
      },
      deps,
    );
    return answer instanceof Response ? answer : c.json(answer, 200);
  });
}

/**
 * What the write path needs of one HTTP request, whichever server carries it: Hono's router
 * (Lambda, tests through app.request) or the Node server's direct route for this one path
 * (api/ingest-listener.ts), which skips building a web Request and Response per reading.
 */
export interface IngestRequest {
  /** A request header by lower-case name, repeated values joined by ", " (as Headers.get). */
  header(name: string): string | undefined;
  /** The body as sent, refusing more than MAX_BODY_BYTES (api/readings/request-body.ts). */
  readBody(): Promise<Buffer>;
  /** True once the client has closed the connection: nobody waits for the answer. */
  gone(): boolean;
  /** The runtime's environment (Hono's c.env), where the caller's address is found. */
  env: unknown;
}

/** POST /v1/measurements: the answer, as the problem to send or the 200's result. */
export async function ingest(
  request: IngestRequest,
  deps: AppDeps,
): Promise<Response | IngestResult> {
  const principal = await authenticate(request, deps);
  if (isAnswer(principal)) return principal;
  // A reader key can never write: refused before its body costs anything.
  if (principal.role === "reader") {
    return forbidden(`${describePrincipal(principal)} may not write readings.`);
  }

  let body: unknown;
  let surrogates = false;
  try {
    checkContentType(request.header("content-type"));
    const wire = await request.readBody();
    const raw = await decodeBody(wire, request.header("content-encoding"), request.gone);
    body = parseJson(raw);
    surrogates = mayHoldLoneSurrogate(raw);
    if (request.gone()) throw new ClientGoneError();
  } catch (error) {
    if (error instanceof BodyError) {
      return problemResponse(error.status, error.slug, error.title, error.message);
    }
    if (error instanceof ClientGoneError || request.gone()) return clientGone();
    throw error;
  }

  // A turbine key naming another turbine is refused before the (costlier) schema check.
  const denied = deniedTurbine(principal, body);
  if (denied !== undefined) return deniedWrite(principal, denied);

  const batch = validateBody(body, surrogates);
  if (isAnswer(batch)) return batch;

  const deniedValid = batch.readings.find((reading) => !mayWrite(principal, reading.turbine_id));
  if (deniedValid) return deniedWrite(principal, deniedValid.turbine_id);
  if (request.gone()) return clientGone();

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
  const converted: Reading[] = [];
  batch.readings.forEach((incoming, index) => {
    const reading = toStoredReading(incoming, now);
    converted.push(reading);
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
    return storeUnavailable(
      error,
      "The readings were not stored: the store cannot take writes right now. Send the same request again after Retry-After seconds; re-sends are never stored twice.",
    );
  }
  await notifyLive(deps, converted, outcomes);
  return summarizeOutcomes(outcomes);
}

/** The answer to a client that has gone: nobody reads it, so it costs nothing to build. */
function clientGone(): Response {
  return new Response(null, { status: 499 });
}

function deniedWrite(principal: Principal, turbineId: string): Response {
  return forbidden(
    `${describePrincipal(principal)} may not write readings of turbine "${turbineId}". ` +
      "Use that turbine's own key, or the operator key for gateways.",
  );
}

/** The first turbine_id (a string, valid or not) a turbine key may not write, before validation. */
function deniedTurbine(principal: Principal, body: unknown): string | undefined {
  if (principal.role !== "turbine" || typeof body !== "object" || body === null) return undefined;
  const readings = (body as { readings?: unknown }).readings;
  const list = Array.isArray(readings) ? readings : [body];
  for (const reading of list) {
    const id = (reading as { turbine_id?: unknown } | null)?.turbine_id;
    if (typeof id === "string" && !mayWrite(principal, id)) return id;
  }
  return undefined;
}

/** Hands the answer's accepted and rejected readings to the live feed, if one listens. */
function notifyLive(
  deps: AppDeps,
  readings: Reading[],
  outcomes: { index: number; outcome: WriteOutcome }[],
): Promise<void> | undefined {
  if (!deps.onReadingsStored && !deps.onReadingsRejected) return;
  try {
    const accepted: Reading[] = [];
    const rejected: ReadingRejection[] = [];
    for (const { index, outcome } of outcomes) {
      const reading = readings[index];
      if (!reading || outcome === "duplicate") continue;
      if (outcome === "accepted") accepted.push(reading);
      else {
        const reason = typeof outcome === "string" ? outcome : outcome.reason;
        rejected.push({ turbine_id: reading.turbine_id, time: reading.time, reason });
      }
    }
    if (accepted.length > 0) deps.onReadingsStored?.(accepted);
    if (rejected.length > 0) {
      // Locally a push; on Lambda a counter write the answer waits for (api/routes/deps.ts).
      const counted = deps.onReadingsRejected?.(rejected);
      if (counted) return counted.catch(liveFailed);
    }
  } catch (error) {
    liveFailed(error);
  }
}

// The readings are stored and acknowledged; a broken live view must not change that.
function liveFailed(error: unknown): void {
  console.error("gust: the live feed failed on stored readings:", error);
}

// The envelope of a batch, checked before its readings are, one by one.
const BatchEnvelopeSchema = z
  .object({ readings: z.array(z.unknown()).min(1).max(MAX_READINGS_PER_REQUEST) })
  .strict();

/**
 * One reading or a batch, as a batch; errors point into what the client sent. Strings that are
 * not well-formed Unicode are refused first, whatever field holds them. Validation stops once
 * MAX_LISTED_ERRORS errors are found: a 422 stays small however bad the batch.
 */
function validateBody(body: unknown, mayHoldSurrogates: boolean): IncomingBatch | Response {
  const plain = plainValidReadings(body, MAX_READINGS_PER_REQUEST);
  if (plain) return { readings: plain };
  const isBatch = typeof body === "object" && body !== null && "readings" in body;
  const where = isBatch ? "batch" : "reading";
  const unicode = mayHoldSurrogates
    ? malformedStrings(body, MAX_LISTED_ERRORS)
    : { errors: [], total: 0 };
  if (unicode.total > 0) {
    return fieldErrorsProblem(where, unicode.errors, { total: unicode.total, complete: true });
  }
  if (!isBatch) {
    const parsed = ReadingSchema.safeParse(body);
    return parsed.success
      ? { readings: [parsed.data] }
      : validationProblem(where, parsed.error.issues);
  }
  const envelope = BatchEnvelopeSchema.safeParse(body);
  if (!envelope.success) return validationProblem(where, envelope.error.issues);
  const readings: IncomingReading[] = [];
  const errors: ProblemFieldError[] = [];
  let total = 0;
  const all = envelope.data.readings;
  for (let index = 0; index < all.length; index++) {
    const candidate = all[index];
    if (isPlainReading(candidate)) {
      readings.push(candidate);
      continue;
    }
    const parsed = ReadingSchema.safeParse(candidate);
    if (parsed.success) {
      readings.push(parsed.data);
      continue;
    }
    total += parsed.error.issues.length;
    errors.push(...fieldErrors(parsed.error.issues, ["readings", index]));
    if (errors.length >= MAX_LISTED_ERRORS) {
      return fieldErrorsProblem(where, errors, { total, complete: index === all.length - 1 });
    }
  }
  if (errors.length > 0) return fieldErrorsProblem(where, errors, { total, complete: true });
  return { readings };
}

function documentIngestRoute(app: GustApp): void {
  const problem = (description: string) => ({
    description,
    content: { "application/problem+json": { schema: ProblemSchema } },
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: MEASUREMENTS_PATH,
    operationId: "sendReadings",
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
      400: problem("Malformed JSON or gzip, or JSON nested more than 8 deep."),
      401: problem("Missing or unknown API key."),
      403: problem(
        "The key may not write (a reader key, refused before its body is read), may not write one of the turbines in the body, or (REQUIRE_REGISTERED) a turbine is not registered.",
      ),
      413: problem(
        "Body over 1 MiB (16 MiB once gunzipped), more than 1000 readings, an object of more than 256 members, an array of more than 1000 elements, or more than 120,000 JSON values.",
      ),
      415: problem("Content-Type is not application/json, or an unsupported Content-Encoding."),
      422: problem(
        "Schema errors (strings that are not well-formed Unicode included), each with a JSON pointer and the reading's index, the first 100 listed; or new measure names beyond the store's 256.",
      ),
      503: problem("The store is unavailable; retry after Retry-After seconds."),
    },
  });
}
