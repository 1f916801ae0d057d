// The schema check of a body that the write path's fast check (api/readings/fast-validation.ts)
// did not take: zod's own answer, with each error pointing into what the client sent. Imported by
// api/routes/ingest.ts only for such a body, so that a cold Lambda's first write builds no zod.
import { z } from "@hono/zod-openapi";
import {
  fieldErrors,
  fieldErrorsProblem,
  MAX_LISTED_ERRORS,
  type ProblemFieldError,
  validationProblem,
} from "../problem.ts";
import { isPlainReading } from "../readings/fast-validation.ts";
import {
  type IncomingBatch,
  type IncomingReading,
  MAX_READINGS_PER_REQUEST,
  ReadingSchema,
} from "../readings/schema.ts";
import { malformedStrings } from "../unicode.ts";

// The envelope of a batch, checked before its readings are, one by one.
const BatchEnvelopeSchema = z
  .object({ readings: z.array(z.unknown()).min(1).max(MAX_READINGS_PER_REQUEST) })
  .strict();

/**
 * One reading or a batch, as a batch; errors point into what the client sent. Strings that are
 * not well-formed Unicode are refused first, whatever field holds them. Validation stops once
 * MAX_LISTED_ERRORS errors are found: a 422 stays small however bad the batch.
 */
export function validateBySchema(
  body: unknown,
  mayHoldSurrogates: boolean,
): IncomingBatch | Response {
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
