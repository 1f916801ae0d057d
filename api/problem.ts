// Every error answer is an RFC 9457 problem document: what went wrong, where, and what to do.
import type { z } from "zod";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface ProblemFieldError {
  /** RFC 6901 JSON pointer into the request body or query, e.g. /readings/3/power_kw */
  pointer: string;
  detail: string;
  /** The reading's index in the batch, when the error is inside one. */
  index?: number;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: ProblemFieldError[];
}

/**
 * Whether a route helper answered (a problem's web Response) rather than returned its value (a
 * principal, a batch, a result; none has a status and headers). Not `instanceof Response`: on
 * Node, naming the global Response loads the fetch classes (undici) on first use, about a tenth
 * of a cold Lambda's first write, which answers without any web Response (api/lambda-ingest.ts).
 */
export function isAnswer<T extends object>(value: T | Response): value is Response {
  return "status" in value && "headers" in value;
}

export function problemResponse(
  status: number,
  slug: string,
  title: string,
  detail: string,
  options: {
    errors?: ProblemFieldError[];
    headers?: Record<string, string>;
    /** RFC 9457 extension members a client may act on (e.g. current_key_generation). */
    extensions?: Record<string, unknown>;
  } = {},
): Response {
  const body: Problem = {
    ...options.extensions,
    type: `urn:gust:problem:${slug}`,
    title,
    status,
    detail,
  };
  if (options.errors) body.errors = options.errors;
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...options.headers },
  });
}

/** Zod issues as field errors; `pathPrefix` maps the validated shape back to what was sent. */
export function fieldErrors(
  issues: readonly z.core.$ZodIssue[],
  pathPrefix: readonly PropertyKey[] = [],
): ProblemFieldError[] {
  return issues.map((issue) => {
    const path = [...pathPrefix, ...issue.path];
    const error: ProblemFieldError = {
      pointer: `/${path.map((part) => String(part).replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`,
      detail: issue.message,
    };
    // Batches (readings, a fleet import's turbines) name the bad entry by its index too.
    if ((path[0] === "readings" || path[0] === "turbines") && typeof path[1] === "number")
      error.index = path[1];
    return error;
  });
}

const STORING = new Set(["batch", "reading"]);

/** A 422 lists at most this many errors (the first ones), so that its size stays bounded. */
export const MAX_LISTED_ERRORS = 100;

/** A 422 listing every schema error; `where` names what was checked ("batch", "query string"). */
export function validationProblem(
  where: string,
  issues: readonly z.core.$ZodIssue[],
  pathPrefix: readonly PropertyKey[] = [],
): Response {
  return fieldErrorsProblem(where, fieldErrors(issues.slice(0, MAX_LISTED_ERRORS), pathPrefix), {
    total: issues.length,
    complete: true,
  });
}

/**
 * A 422 with the first MAX_LISTED_ERRORS errors. `total` counts every error found; `complete`
 * is false when validation stopped early, so that there may be more than `total`.
 */
export function fieldErrorsProblem(
  where: string,
  errors: readonly ProblemFieldError[],
  { total, complete }: { total: number; complete: boolean },
): Response {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const first = listed[0];
  const summary = first ? ` First: ${first.pointer}: ${first.detail}.` : "";
  const count = complete
    ? `${total} error(s)`
    : `at least ${total} errors (validation stopped there)`;
  const shown = listed.length < total ? `; the first ${listed.length} are listed` : "";
  return problemResponse(
    422,
    "validation",
    "Invalid request",
    `The ${where} has ${count}${shown}${STORING.has(where) ? "; nothing was stored" : ""}.${summary}`,
    { errors: listed },
  );
}
