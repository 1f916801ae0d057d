// Query-string parameters shared by the read routes.
import { z } from "@hono/zod-openapi";
import { problemResponse } from "../problem.ts";
import {
  readTimeWord,
  resolveTimeWord,
  TIME_WORDS_HELP,
  type TimeWord,
  TimeWordError,
} from "../time/time-words.ts";

/**
 * A time in a query string, in the words the CLIs take (`now-6h`, RFC 3339, epoch ms, …). It is
 * read here and resolved in the handler, against the app's clock (`deps.now`).
 */
export const QueryTimeSchema = z
  .string()
  .transform((value, ctx): TimeWord => {
    try {
      return readTimeWord(value);
    } catch (error) {
      if (!(error instanceof TimeWordError)) throw error;
      ctx.addIssue({
        code: "custom",
        message: `"${value}" ${error.message}${queryTimeHint(value)}`,
      });
      return z.NEVER;
    }
  })
  .openapi({
    type: "string",
    description: `A time: ${TIME_WORDS_HELP}.`,
    example: "now-6h",
  });

/** A query's time at `now`, or undefined when it was not given. */
export function queryTime(word: TimeWord | undefined, now: number): number | undefined {
  return word === undefined ? undefined : resolveTimeWord(word, now);
}

/** A hint for the two mistakes people make most with a query time; empty for others. */
function queryTimeHint(value: string): string {
  // An unencoded `+` in a query string decodes as a space: 10:00:00+01:00 arrives as 10:00:00 01:00.
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)? \d{2}:\d{2}$/i.test(value)) {
    return ". It has a space where the offset's + was: a + in a query string means a space, so encode it as %2B (2026-11-23T10:00:00%2B01:00) or use Z";
  }
  if (/^\d+\.\d+$/.test(value)) {
    return ". It is fractional, and epoch milliseconds are whole numbers: is this seconds? Multiply by 1000";
  }
  return "";
}

/**
 * A whole number in a query string, written in decimal digits only: Number() would also take
 * 0x10, 1e3, " 12" and "" (as 0).
 */
export function queryInteger(min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return fallback;
      const n = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= min && n <= max)) {
        ctx.addIssue({
          code: "custom",
          message: `must be a whole number from ${min} to ${max} in decimal digits (got "${value}")`,
        });
        return z.NEVER;
      }
      return n;
    })
    .openapi({ type: "integer", minimum: min, maximum: max, default: fallback });
}

/** The 422 for a `cursor` that is not a next_cursor this API gave. */
export function invalidCursor(): Response {
  return problemResponse(
    422,
    "validation",
    "Invalid request",
    "The cursor is not one this API gave: pass next_cursor of the previous page as it came.",
    { errors: [{ pointer: "/cursor", detail: "not a cursor of this API" }] },
  );
}

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
  query: { from?: TimeWord; to?: TimeWord },
  now: number,
  defaultMs: number,
): { from: number; to: number } | Response {
  const to = queryTime(query.to, now) ?? now;
  const from = queryTime(query.from, now) ?? to - defaultMs;
  return from < to ? { from, to } : fromNotBeforeTo();
}
