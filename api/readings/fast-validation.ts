// A fast path for the common case: plain, valid readings. Checking each reading with zod costs
// about 4 µs, most of the ingest budget at 300,000 readings a second. This check accepts only
// readings that certainly pass ReadingSchema, built from the schema's own constants, and
// returns null for anything else so that zod decides and explains. A property test
// (test/api/fast-validation.test.ts) holds the two to the same answers.

import { POWER_KW_RANGE, READING_FIELDS, WIND_SPEED_MS_RANGE } from "./fields.ts";
import {
  MAX_EPOCH_MS,
  MIN_EPOCH_MS,
  READING_STATUSES,
  STATUS_CODE_MAX,
  STATUS_CODE_MIN,
  TURBINE_ID_PATTERN,
} from "./limits.ts";
import { measuresAreValid } from "./measures.ts";
import type { IncomingReading } from "./schema.ts";

const FIELDS: ReadonlySet<string> = new Set(READING_FIELDS);
const STATUSES: ReadonlySet<unknown> = new Set(READING_STATUSES);
// UTC timestamps only; offsets and other RFC 3339 spellings take the zod path.
const UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function isPlainReading(value: unknown): value is IncomingReading {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  for (const key in r) if (!FIELDS.has(key)) return false;
  if (typeof r.turbine_id !== "string" || !TURBINE_ID_PATTERN.test(r.turbine_id)) return false;
  if (!isPlainTime(r.time)) return false;
  const power = r.power_kw;
  if (typeof power !== "number" || !(power >= POWER_KW_RANGE.min && power <= POWER_KW_RANGE.max)) {
    return false;
  }
  const wind = r.wind_speed_ms;
  if (
    typeof wind !== "number" ||
    !(wind >= WIND_SPEED_MS_RANGE.min && wind <= WIND_SPEED_MS_RANGE.max)
  ) {
    return false;
  }
  if (r.status !== undefined && !STATUSES.has(r.status)) return false;
  const code = r.status_code;
  if (
    code !== undefined &&
    !(
      Number.isInteger(code) &&
      (code as number) >= STATUS_CODE_MIN &&
      (code as number) <= STATUS_CODE_MAX
    )
  ) {
    return false;
  }
  const version = r.version;
  if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 1)) {
    return false;
  }
  if (r.measures !== undefined && !measuresAreValid(r.measures)) return false;
  // Tags are refused by the schema with its explanation.
  return r.tags === undefined;
}

function isPlainTime(time: unknown): boolean {
  if (time === undefined) return true;
  if (typeof time === "number") {
    return Number.isInteger(time) && time >= MIN_EPOCH_MS && time <= MAX_EPOCH_MS;
  }
  if (typeof time !== "string" || !UTC_TIMESTAMP.test(time)) return false;
  const ms = Date.parse(time);
  // The round trip rejects dates that do not exist (2026-02-30) or roll over (T24:00:00).
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === time.slice(0, 19);
}

/** The readings of a body that is one plain valid reading or a batch of them; else null. */
export function plainValidReadings(body: unknown, maxReadings: number): IncomingReading[] | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  if (!("readings" in body)) return isPlainReading(body) ? [body] : null;
  for (const key in body) if (key !== "readings") return null;
  const readings = (body as { readings: unknown }).readings;
  if (!Array.isArray(readings) || readings.length < 1 || readings.length > maxReadings) return null;
  for (const reading of readings) if (!isPlainReading(reading)) return null;
  return readings as IncomingReading[];
}
