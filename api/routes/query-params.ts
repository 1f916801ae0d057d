// Query-string parameters shared by the read routes.
import { z } from "@hono/zod-openapi";
import { problemResponse } from "../problem.ts";
import { MAX_EPOCH_MS } from "../readings/schema.ts";

/** Query times run from 1970 to the latest time a reading may have (year 5138): every such time is a Date. */
export const MIN_QUERY_MS = 0;
export const MAX_QUERY_MS = MAX_EPOCH_MS;

/** A time in a query string: RFC 3339 or epoch milliseconds, as epoch milliseconds. */
export const QueryTimeSchema = z
  .string()
  .transform((value, ctx) => {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    const isRfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
    if (!Number.isSafeInteger(ms) || (!/^\d+$/.test(value) && !isRfc3339.test(value))) {
      ctx.addIssue({
        code: "custom",
        message: "must be an RFC 3339 time such as 2026-11-23T10:00:00Z, or epoch milliseconds",
      });
      return z.NEVER;
    }
    if (ms < MIN_QUERY_MS || ms > MAX_QUERY_MS) {
      ctx.addIssue({
        code: "custom",
        message: `must be between ${new Date(MIN_QUERY_MS).toISOString()} and ${new Date(MAX_QUERY_MS).toISOString()} (epoch ms ${MIN_QUERY_MS} to ${MAX_QUERY_MS})`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .openapi({ type: "string", example: "2026-11-23T00:00:00Z" });

/** The 422 for a query whose `from` is not before its `to`. */
export function fromNotBeforeTo(): Response {
  return problemResponse(422, "validation", "Invalid request", "`from` must be before `to`.", {
    errors: [{ pointer: "/from", detail: "must be before `to`" }],
  });
}

/**
 * The [from, to) a fleet read covers: `to` defaults to now and `from` to `defaultMs` before
 * `to`; a 422 when `from` is not before `to`.
 */
export function queryRange(
  query: { from?: number; to?: number },
  now: number,
  defaultMs: number,
): { from: number; to: number } | Response {
  const to = query.to ?? now;
  const from = query.from ?? to - defaultMs;
  return from < to ? { from, to } : fromNotBeforeTo();
}
