// POST /v1/measurements: the turbine's write path, whichever server carries the request: Hono's
// route (api/routes/measurements.ts, which also documents it), the Node server's direct route
// (api/ingest-listener.ts) and the Lambda's (api/lambda-ingest.ts).
//
// The body is read by hand rather than by the zod-openapi validator, because the contract needs
// checks in a fixed order that a validator middleware cannot give: key (401), a reader key (403),
// media type (415), size and shape (413, before JSON.parse builds anything), gzip and JSON (400),
// a turbine key naming another turbine (403), schema (422, the first 100 errors, nothing stored),
// then the store.
//
// Nothing here imports zod: readings that pass the fast check (api/readings/fast-validation.ts),
// nearly all of them, never need it, and on a cold Lambda building zod and the contract's schemas
// is about a tenth of a first write. A body the fast check refuses is judged by the schemas
// (./ingest-validation.ts), imported then.
import { mayWrite, type Principal } from "../auth/keys.ts";
import {
  checkWriteWindow,
  type ReadingOutcome,
  summarizeOutcomes,
  toStoredReading,
} from "../ingest/to-store.ts";
import { log } from "../log.ts";
import { isAnswer, problemResponse } from "../problem.ts";
import { plainValidReadings } from "../readings/fast-validation.ts";
import { MAX_READINGS_PER_REQUEST } from "../readings/limits.ts";
import type { ReadingRejection } from "../readings/rejection.ts";
import {
  BodyError,
  ClientGoneError,
  checkContentType,
  decodeBody,
  parseJson,
} from "../readings/request-body.ts";
import type { IncomingBatch, IngestResult } from "../readings/schema.ts";
import { turbinesOf, unregisteredDetail } from "../registry/lookup.ts";
import {
  MeasureLimitError,
  type Reading,
  StoreUnavailableError,
  type WriteOutcome,
} from "../store/port.ts";
import { mayHoldLoneSurrogate } from "../unicode.ts";
import { authenticate, describePrincipal, forbidden } from "./auth.ts";
import type { AppDeps } from "./deps.ts";
import { storeUnavailable } from "./store-unavailable.ts";

export const MEASUREMENTS_PATH = "/v1/measurements";

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
  /**
   * Who sends, when the transport has authenticated the sender itself and no Authorization
   * header comes: an MQTT publish on a turbine's topic (api/mqtt) speaks for that turbine, so
   * its readings must all be that turbine's, by the same checks as a turbine key's.
   */
  principal?: Principal;
}

/** POST /v1/measurements: the answer, as the problem to send or the 200's result. */
export async function ingest(
  request: IngestRequest,
  deps: AppDeps,
): Promise<Response | IngestResult> {
  const principal = request.principal ?? (await authenticate(request, deps));
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
    const raw = await decodeBody(wire, request.header("content-encoding"), () => request.gone());
    try {
      body = parseJson(raw);
      surrogates = mayHoldLoneSurrogate(raw.bytes);
    } finally {
      raw.release();
    }
    if (request.gone()) throw new ClientGoneError();
  } catch (error) {
    if (error instanceof BodyError) {
      return problemResponse(error.status, error.slug, error.title, error.message, {
        ...(error.retryAfter === undefined
          ? {}
          : { headers: { "retry-after": String(error.retryAfter) } }),
      });
    }
    if (error instanceof ClientGoneError || request.gone()) return clientGone();
    throw error;
  }

  // A turbine key naming another turbine is refused before the (costlier) schema check.
  const denied = deniedTurbine(principal, body);
  if (denied !== undefined) return deniedWrite(principal, denied);

  const batch = await validateBody(body, surrogates);
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

  await deps.store.refreshWriteWindow?.();
  const now = deps.clock.now();
  const readings = batch.readings.map((incoming) => toStoredReading(incoming, now));
  // Each reading's outcome at its index in the request: the write window's rejections first,
  // then the store's. Nearly always every reading is inside the window and goes as it is.
  const outcomes: ReadingOutcome[] = new Array(readings.length);
  let outside = 0;
  for (let index = 0; index < readings.length; index++) {
    const rejection = checkWriteWindow(
      (readings[index] as Reading).time,
      now,
      deps.store.writeWindow,
    );
    if (rejection) {
      outcomes[index] = rejection;
      outside++;
    }
  }
  const positions =
    outside === 0 ? null : readings.flatMap((_, index) => (outcomes[index] ? [] : [index]));

  try {
    const toWrite = positions ? positions.map((index) => readings[index] as Reading) : readings;
    const stored = await deps.store.write(toWrite, now, turbines);
    for (let k = 0; k < stored.length; k++) {
      outcomes[positions ? (positions[k] as number) : k] = stored[k] as WriteOutcome;
    }
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
  await notifyLive(deps, readings, outcomes);
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
  outcomes: readonly ReadingOutcome[],
): Promise<void> | undefined {
  if (!deps.onReadingsStored && !deps.onReadingsRejected) return;
  try {
    // Nearly always every reading is accepted: the readings then go as they are.
    if (outcomes.every((outcome) => outcome === "accepted")) {
      if (readings.length > 0) return settled([deps.onReadingsStored?.(readings)]);
      return;
    }
    const accepted: Reading[] = [];
    const rejected: ReadingRejection[] = [];
    for (let index = 0; index < outcomes.length; index++) {
      const outcome = outcomes[index] as ReadingOutcome;
      const reading = readings[index] as Reading;
      if (outcome === "duplicate") continue;
      if (outcome === "accepted") accepted.push(reading);
      else {
        const reason = typeof outcome === "string" ? outcome : outcome.reason;
        rejected.push({ turbine_id: reading.turbine_id, time: reading.time, reason });
      }
    }
    // Locally pushes; on Lambda writes the answer waits for (api/routes/deps.ts).
    return settled([
      accepted.length > 0 ? deps.onReadingsStored?.(accepted) : undefined,
      rejected.length > 0 ? deps.onReadingsRejected?.(rejected) : undefined,
    ]);
  } catch (error) {
    liveFailed(error);
  }
}

/** Waits for the hooks that answered with a promise (Lambda's writes); their failures are logged. */
function settled(results: (void | Promise<void> | undefined)[]): Promise<void> | undefined {
  const pending = results.filter((result): result is Promise<void> => result instanceof Promise);
  if (pending.length === 0) return undefined;
  return Promise.all(pending.map((result) => result.catch(liveFailed))).then(() => undefined);
}

// The readings are stored and acknowledged; a broken live view must not change that.
function liveFailed(error: unknown): void {
  log.error("the live feed failed on stored readings", error as Error);
}

/**
 * One reading or a batch, as a batch, or the problem with it. Bodies the fast check takes are
 * the same readings the schemas would give (test/api/fast-validation.test.ts).
 */
async function validateBody(
  body: unknown,
  mayHoldSurrogates: boolean,
): Promise<IncomingBatch | Response> {
  const plain = plainValidReadings(body, MAX_READINGS_PER_REQUEST);
  if (plain) return { readings: plain };
  return (await import("./ingest-validation.ts")).validateBySchema(body, mayHoldSurrogates);
}
