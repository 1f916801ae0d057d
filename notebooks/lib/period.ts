// The period `npm run analyze` reads when it is not told one: the span of the data exactly, at
// most a day. A reading stands for the time up to the next one (api/queries/scada.ts), so the
// data ends one reporting interval after the last reading, not at it: six hours of 1-minute
// readings are six hours, not 5 h 59 min (nor 5 h 59 min and 1 ms).
import { LONE_READING_MS } from "../../api/queries/scada.ts";

export const DAY_MS = 86_400_000;

export interface DataExtent {
  /** The first and last stored reading's time (epoch ms). */
  firstMs: number;
  lastMs: number;
  /** Each turbine's usual step between readings near the end of the data (ms; null: one reading). */
  intervalsMs: readonly (number | null)[];
}

/** The interval most turbines report at: the median of theirs; SCADA's 10 minutes without any. */
export function dominantIntervalMs(intervalsMs: readonly (number | null)[]): number {
  const known = intervalsMs
    .filter((ms): ms is number => ms !== null && Number.isFinite(ms) && ms > 0)
    .sort((a, b) => a - b);
  if (known.length === 0) return LONE_READING_MS;
  const middle = Math.floor(known.length / 2);
  const median =
    known.length % 2 ? known[middle] : ((known[middle - 1] ?? 0) + (known[middle] ?? 0)) / 2;
  return Math.round(median ?? LONE_READING_MS);
}

/**
 * The period as asked: both ends as given; a missing end is where the data ends (the last reading
 * plus its interval); a missing start is a day before the end, or the first reading if later.
 */
export function analysisPeriod(
  data: DataExtent,
  asked: { from?: number; to?: number },
): { from: number; to: number } {
  const to = asked.to ?? data.lastMs + dominantIntervalMs(data.intervalsMs);
  const from = asked.from ?? Math.max(data.firstMs, to - DAY_MS);
  return { from, to };
}
