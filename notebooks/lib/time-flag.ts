// Times on the command line: RFC 3339 with a zone (or a bare date, which is UTC), epoch
// milliseconds, or now-6h / now-2d. A date-time without a zone is refused rather than read in the
// machine's local time: everything here is UTC, and a silent hour's shift is worse than an error.
import { MAX_QUERY_MS, MIN_QUERY_MS } from "../../api/routes/query-params.ts";
import { systemClock } from "../../api/time/clock.ts";

const RELATIVE = /^now(?:-(\d+(?:\.\d+)?)([mhd]))?$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const ZONED = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i;

export function parseTimeFlag(value: string, flag: string, now = systemClock.now()): number {
  const relative = value.match(RELATIVE);
  if (relative) {
    const [, amount, unit] = relative;
    return withinDates(
      amount ? now - Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS] : now,
      value,
      flag,
    );
  }
  const ms = /^\d+$/.test(value)
    ? Number(value)
    : ZONED.test(value)
      ? Date.parse(value)
      : Number.NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new Error(
      `${flag} "${value}" is not a time: use RFC 3339 with a zone (2026-11-23T10:00:00Z), a date (2026-11-23, UTC), epoch ms, or now-6h / now-2d`,
    );
  }
  return withinDates(ms, value, flag);
}

/** The same bounds as the API's query times, so that every time here is a Date. */
function withinDates(ms: number, value: string, flag: string): number {
  if (ms < MIN_QUERY_MS || ms > MAX_QUERY_MS) {
    throw new Error(
      `${flag} "${value}" is out of range: times run from ${new Date(MIN_QUERY_MS).toISOString()} to ${new Date(MAX_QUERY_MS).toISOString()}`,
    );
  }
  return ms;
}
