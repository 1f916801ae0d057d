// Times as people type them, the same words on every CLI and in the HTTP API's query strings:
// RFC 3339 with a zone, a bare date (UTC), epoch milliseconds, `now`, `now-6h` / `now+15m`, or a
// bare duration (`6h`: six hours before now). A date-time without a zone is refused rather than
// read in some machine's local time: everything here is UTC, and a silent hour's shift is worse
// than an error. `now` is the caller's clock, so tests and the app's injected clock decide it.
import { MAX_EPOCH_MS } from "../readings/limits.ts";

/** Times run from 1970 to the latest time a reading may have (year 5138): every one is a Date. */
export const MIN_TIME_MS = 0;
export const MAX_TIME_MS = MAX_EPOCH_MS;

/** What a time word means before a clock is read: an instant, or an offset from now. */
export type TimeWord = { readonly at: number } | { readonly fromNow: number };

/** How to write a time, for messages and API descriptions. */
export const TIME_WORDS_HELP =
  "RFC 3339 with a zone (2026-11-23T10:00:00Z), a date (2026-11-23, UTC), epoch milliseconds, " +
  "now, now-6h / now+15m (s, m, h, d), or a duration such as 6h (that long before now)";

/** A relative time reaches at most this far from now, so that it is a Date on any clock this side of 2020. */
const MAX_OFFSET_MS = 50 * 365 * 86_400_000;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const RELATIVE = /^(?:now(?:([+-])(\d+(?:\.\d+)?)([smhd]))?|(\d+(?:\.\d+)?)([smhd]))$/;
const ZONED = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i;

export class TimeWordError extends Error {}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * What in an RFC 3339 date or date-time names no instant, or null: Date.parse rolls 2026-02-30
 * over to March 2 and takes 24:00. The text has matched ZONED.
 */
function impossibleCalendarField(text: string): string | null {
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = (
    text.match(/\d+/g) ?? []
  ).map(Number);
  if (month < 1 || month > 12) return `${text.slice(0, 7)} has no month ${month}`;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day < 1 || day > days) return `${text.slice(0, 7)} has no day ${day}`;
  if (hour > 23 || minute > 59 || second > 59) return `${text.slice(11, 19)} is not a time of day`;
  return null;
}

/** Reads a time word without a clock; throws TimeWordError saying what is wrong. */
export function readTimeWord(value: string): TimeWord {
  const relative = value.match(RELATIVE);
  if (relative) {
    const [, sign, amount, unit, bareAmount, bareUnit] = relative;
    if (amount === undefined && bareAmount === undefined) return { fromNow: 0 };
    const offset =
      bareAmount !== undefined
        ? -Number(bareAmount) * UNIT_MS[bareUnit as keyof typeof UNIT_MS]
        : (sign === "-" ? -1 : 1) * Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
    if (Math.abs(offset) > MAX_OFFSET_MS) {
      throw new TimeWordError("is too far from now: a relative time reaches at most 50 years");
    }
    return { fromNow: Math.round(offset) };
  }
  const zoned = ZONED.test(value);
  const impossible = zoned ? impossibleCalendarField(value) : null;
  if (impossible) throw new TimeWordError(`is not a time: ${impossible}`);
  const ms = /^\d+$/.test(value) ? Number(value) : zoned ? Date.parse(value) : Number.NaN;
  if (!Number.isSafeInteger(ms)) throw new TimeWordError(`is not a time: use ${TIME_WORDS_HELP}`);
  if (ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
    throw new TimeWordError(
      `is out of range: times run from ${new Date(MIN_TIME_MS).toISOString()} to ${new Date(MAX_TIME_MS).toISOString()} (epoch ms ${MIN_TIME_MS} to ${MAX_TIME_MS})`,
    );
  }
  return { at: ms };
}

/** The instant a time word means at `now`, kept within the range of times. */
export function resolveTimeWord(word: TimeWord, now: number): number {
  if ("at" in word) return word.at;
  return Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, now + word.fromNow));
}

/** A command-line flag's time: the word read and resolved at `now`, or an Error naming the flag. */
export function parseTimeFlag(value: string, flag: string, now: number): number {
  try {
    return resolveTimeWord(readTimeWord(value), now);
  } catch (error) {
    if (error instanceof TimeWordError) throw new Error(`${flag} "${value}" ${error.message}`);
    throw error;
  }
}
