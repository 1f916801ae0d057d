// The turbine's HTTP contract, as zod schemas. These same objects validate requests and generate
// the OpenAPI document, so the docs cannot drift from what the server enforces.
import { z } from "@hono/zod-openapi";
import { isWellFormed, NOT_WELL_FORMED } from "../unicode.ts";
import { POWER_KW_RANGE, READING_FIELDS, WIND_SPEED_MS_RANGE } from "./fields.ts";
import {
  MAX_EPOCH_MS,
  MAX_READINGS_PER_REQUEST,
  MAX_TAGS,
  MIN_EPOCH_MS,
  READING_STATUSES,
  STATUS_CODE_MAX,
  STATUS_CODE_MIN,
  TURBINE_ID_PATTERN,
} from "./limits.ts";
import {
  GENERIC_MEASURE_BOUND,
  MAX_MEASURE_BYTES,
  MAX_MEASURES_PER_READING,
  MEASURE_NAME_PATTERN,
  MEASURE_VOCABULARY,
  measureProblems,
} from "./measures.ts";

export { READING_FIELDS } from "./fields.ts";
export {
  MAX_EPOCH_MS,
  MAX_READINGS_PER_REQUEST,
  MAX_TAGS,
  MIN_EPOCH_MS,
  READING_STATUSES,
  type ReadingStatus,
  STATUS_CODE_MAX,
  STATUS_CODE_MIN,
  TURBINE_ID_PATTERN,
} from "./limits.ts";

// Names a tag may not take: the reading's own fields, or names Timestream reserves.
const RESERVED_TAG_NAMES = new Set<string>([...READING_FIELDS, "measure_name", "measure_value"]);

export const TurbineIdSchema = z
  .string()
  .regex(TURBINE_ID_PATTERN, "must be 1-64 characters of A-Z a-z 0-9 . _ : -")
  .openapi({ example: "nl-0042-t03" });

const TIME_FORMAT =
  "must be an RFC 3339 timestamp such as 2026-11-23T10:00:00Z or epoch milliseconds";

const EpochMillisSchema = z.number().superRefine((ms, ctx) => {
  // Seconds first: 1763892000.5 is fractional seconds, and saying "whole number" alone hides that.
  const message =
    ms < MIN_EPOCH_MS
      ? "epoch milliseconds before the year 2000: is this seconds? Multiply by 1000"
      : ms > MAX_EPOCH_MS
        ? "epoch milliseconds out of range: is this microseconds?"
        : Number.isInteger(ms)
          ? undefined
          : "epoch milliseconds must be a whole number";
  if (message) ctx.addIssue({ code: "custom", message });
});

export const ReadingTimeSchema = z
  .union([z.iso.datetime({ offset: true, error: TIME_FORMAT }), EpochMillisSchema], {
    error: TIME_FORMAT,
  })
  .openapi({
    description:
      "RFC 3339 timestamp or epoch milliseconds (UTC). Omitted: the time the server received it.",
    example: "2026-11-23T10:00:00Z",
  });

export { POWER_KW_RANGE, WIND_SPEED_MS_RANGE } from "./fields.ts";

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]{0,59}$/;
const MAX_TAG_VALUE_LENGTH = 256;

/** What is wrong with a tags value, each with the tag it concerns; empty when it is valid. */
export function tagProblems(tags: unknown): { tag?: string; message: string }[] {
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
    return [{ message: "tags must be an object of string pairs" }];
  }
  const problems: { tag?: string; message: string }[] = [];
  let count = 0;
  for (const name in tags) {
    if (!Object.hasOwn(tags, name)) continue;
    // Past the limit the count is the error: checking 1600 more tags only makes the 422 bigger.
    if (++count > MAX_TAGS) {
      problems.push({ message: `at most ${MAX_TAGS} tags` });
      return problems;
    }
    const value = (tags as Record<string, unknown>)[name];
    if (!TAG_NAME.test(name)) {
      problems.push({
        tag: name,
        message: "tag names are 1-60 characters of A-Z a-z 0-9 _, starting with a letter",
      });
    } else if (RESERVED_TAG_NAMES.has(name) || name.startsWith("ts_")) {
      problems.push({ tag: name, message: "tag name is reserved" });
    }
    if (typeof value !== "string" || value.length < 1 || value.length > MAX_TAG_VALUE_LENGTH) {
      problems.push({
        tag: name,
        message: `tag values are strings of 1-${MAX_TAG_VALUE_LENGTH} characters`,
      });
    } else if (!isWellFormed(value)) {
      problems.push({ tag: name, message: `tag value ${NOT_WELL_FORMED}` });
    }
  }
  return problems;
}

const vocabulary = Object.entries(MEASURE_VOCABULARY)
  .map(([name, r]) => `${name} (${r.iec ? `${r.iec}, ` : ""}${r.min}..${r.max} ${r.unit})`)
  .join(", ");

// Measures are checked by hand in one pass like tags (same rules, same JSON-pointer errors).
export const MeasuresSchema = z
  .custom<Record<string, number>>(() => true)
  .superRefine((measures, ctx) => {
    for (const { measure, message } of measureProblems(measures)) {
      ctx.addIssue({
        code: "custom",
        message,
        ...(measure === undefined ? {} : { path: [measure] }),
      });
    }
  })
  .openapi({
    type: "object",
    maxProperties: MAX_MEASURES_PER_READING,
    additionalProperties: { type: "number" },
    description:
      `Up to ${MAX_MEASURES_PER_READING} more numeric channels by name (${MEASURE_NAME_PATTERN.source}; ` +
      "not a reading field, a registry dimension (project, model, municipality, province), " +
      `nor starting with ts_ or measure_value; names take at most ${MAX_MEASURE_BYTES} bytes plus 8 a value). ` +
      `Recommended vocabulary with its ranges: ${vocabulary}. 10-minute statistics go beside the ` +
      "mean as <channel>_min, _max, _std (power_kw_min, wind_speed_ms_std, ...) within the " +
      `channel's range (std: 0 to its width). Any other name: |value| <= ${GENERIC_MEASURE_BOUND}. ` +
      "A store holds at most 256 distinct measure names.",
    example: { rotor_speed_rpm: 14.2, pitch_angle_deg: 1.5, power_kw_max: 1995.2 },
  });

export const StatusCodeSchema = z
  .number()
  .int("status_code must be a whole number")
  .min(STATUS_CODE_MIN)
  .max(STATUS_CODE_MAX)
  .openapi({ description: "The turbine's own SCADA status code.", example: 2 });

/** Why a reading with tags is refused: metadata belongs to the turbine, once, in the registry. */
export const TAGS_MOVED_DETAIL =
  "readings no longer carry tags: describe the turbine once with PUT /v1/turbines/{turbine_id} (project, model, rated_kw, latitude, longitude and tags such as province) and send readings without tags";

// Kept as a field (not an unknown key) so that the 422 points at /tags and says what to do.
// Documented as a schema no value matches (an empty enum), so that generated clients type it
// `never` and `tags: {}` fails to compile instead of failing with a 422.
const ReadingTagsRemovedSchema = z
  .custom<never>(() => false, { error: TAGS_MOVED_DETAIL })
  .openapi({
    type: "string",
    enum: [],
    description: `Not accepted: ${TAGS_MOVED_DETAIL}.`,
    deprecated: true,
  });

export const ReadingSchema = z
  .object({
    turbine_id: TurbineIdSchema,
    time: ReadingTimeSchema.optional(),
    power_kw: z
      .number()
      .finite()
      .min(POWER_KW_RANGE.min)
      .max(POWER_KW_RANGE.max)
      .openapi({
        description: `Active power in kW, ${POWER_KW_RANGE.min} to ${POWER_KW_RANGE.max} (negative: the turbine draws from the grid).`,
        example: 1830.5,
      }),
    wind_speed_ms: z
      .number()
      .finite()
      .min(WIND_SPEED_MS_RANGE.min)
      .max(WIND_SPEED_MS_RANGE.max)
      .openapi({
        description: `Wind speed at hub height in m/s, ${WIND_SPEED_MS_RANGE.min} to ${WIND_SPEED_MS_RANGE.max}.`,
        example: 9.4,
      }),
    status: z.enum(READING_STATUSES).optional(),
    status_code: StatusCodeSchema.optional(),
    version: z
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .openapi({ description: "Send a higher version to deliberately replace a stored reading." }),
    measures: MeasuresSchema.optional(),
    tags: ReadingTagsRemovedSchema.optional(),
  })
  .strict()
  .openapi("Reading");

export const ReadingBatchSchema = z
  .object({
    readings: z.array(ReadingSchema).min(1).max(MAX_READINGS_PER_REQUEST),
  })
  .strict()
  .openapi("ReadingBatch");

export const IngestBodySchema = z.union([ReadingSchema, ReadingBatchSchema]).openapi("IngestBody");

export const REJECTION_REASONS = ["conflict", "too_old", "too_new", "store_rejected"] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export const IngestResultSchema = z
  .object({
    accepted: z.number().int().openapi({ description: "Readings newly stored or replaced." }),
    duplicates: z
      .number()
      .int()
      .openapi({ description: "Identical re-sends of stored readings; stored once." }),
    rejected: z.array(
      z.object({
        index: z.number().int(),
        reason: z.enum(REJECTION_REASONS),
        detail: z.string(),
      }),
    ),
  })
  .openapi("IngestResult");

export const StoredReadingSchema = z
  .object({
    turbine_id: z.string(),
    time: z.string().openapi({ example: "2026-11-23T10:00:00.000Z" }),
    power_kw: z.number(),
    wind_speed_ms: z.number(),
    status: z.enum(READING_STATUSES).nullable(),
    status_code: z.number().int().nullable(),
    version: z.number().int(),
    measures: z.record(z.string(), z.number()),
    tags: z.record(z.string(), z.string()),
  })
  .openapi("StoredReading");

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          pointer: z.string(),
          detail: z.string(),
          index: z.number().int().optional(),
        }),
      )
      .optional(),
  })
  .openapi("Problem");

export type IncomingReading = z.infer<typeof ReadingSchema>;
/** The readings of a valid body, one reading or a batch. */
export interface IncomingBatch {
  readings: IncomingReading[];
}
export type IngestResult = z.infer<typeof IngestResultSchema>;
export type StoredReading = z.infer<typeof StoredReadingSchema>;
