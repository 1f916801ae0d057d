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

export function problemResponse(
  status: number,
  slug: string,
  title: string,
  detail: string,
  options: { errors?: ProblemFieldError[]; headers?: Record<string, string> } = {},
): Response {
  const body: Problem = { type: `urn:gust:problem:${slug}`, title, status, detail };
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

/** A 422 listing every schema error; `where` names what was checked ("batch", "query string"). */
export function validationProblem(
  where: string,
  issues: readonly z.core.$ZodIssue[],
  pathPrefix: readonly PropertyKey[] = [],
): Response {
  const errors = fieldErrors(issues, pathPrefix);
  const first = errors[0];
  const summary = first ? ` First: ${first.pointer}: ${first.detail}.` : "";
  return problemResponse(
    422,
    "validation",
    "Invalid request",
    `The ${where} has ${errors.length} error(s)${STORING.has(where) ? "; nothing was stored" : ""}.${summary}`,
    { errors },
  );
}
