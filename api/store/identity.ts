// What makes two readings "the same": their identity, and whether their content matches.
// Both stores use these, so duplicates and conflicts mean the same thing everywhere.
import type { Reading, WriteOutcome } from "./port.ts";

/** A reading's identity is (turbine_id, time), as in the contract. */
export function readingIdentity(reading: Pick<Reading, "turbine_id" | "time">): string {
  return `${reading.turbine_id}\u0000${reading.time}`;
}

/** The earliest and latest time of some readings: a lookup by identity scans only that span. */
export function timeSpan(readings: readonly Pick<Reading, "time">[]): {
  earliest: number;
  latest: number;
} {
  let earliest = Number.POSITIVE_INFINITY;
  let latest = Number.NEGATIVE_INFINITY;
  for (const { time } of readings) {
    earliest = Math.min(earliest, time);
    latest = Math.max(latest, time);
  }
  return { earliest, latest };
}

/**
 * Of the stored readings an identity lookup found (a query over the readings' turbines and time
 * span, which brings neighbours too), those sharing an identity with `readings`, one per
 * identity: two stored for one identity cannot come from gust's rules, so the highest version
 * wins. Each keeps what the store found beside it (its series' tags, its dimensions).
 */
export function storedByIdentity<T extends { reading: Reading }>(
  readings: readonly Reading[],
  found: Iterable<T>,
): Map<string, T> {
  const wanted = new Set(readings.map(readingIdentity));
  const stored = new Map<string, T>();
  for (const point of found) {
    const identity = readingIdentity(point.reading);
    if (!wanted.has(identity)) continue;
    const other = stored.get(identity);
    if (!other || other.reading.version < point.reading.version) stored.set(identity, point);
  }
  return stored;
}

/** True when every field, measure and tag matches; the version is compared by the caller. */
export function sameReadingContent(a: Reading, b: Reading): boolean {
  if (
    a.power_kw !== b.power_kw ||
    a.wind_speed_ms !== b.wind_speed_ms ||
    a.status !== b.status ||
    a.status_code !== b.status_code
  ) {
    return false;
  }
  const aMeasures = Object.keys(a.measures);
  if (aMeasures.length !== Object.keys(b.measures).length) return false;
  if (!aMeasures.every((name) => a.measures[name] === b.measures[name])) return false;
  const aTags = Object.keys(a.tags);
  if (aTags.length !== Object.keys(b.tags).length) return false;
  return aTags.every((key) => a.tags[key] === b.tags[key]);
}

/** A stored reading, as known while a write is classified. */
export interface KnownReading {
  reading: Reading;
  /** Already in the store (a replacement must then overwrite it). */
  stored: boolean;
  /** To be written by this write. */
  changed: boolean;
}

/**
 * The contract's write rules, for a group of readings against what is stored (`known`, keyed by
 * identity; updated in place): new identity -> accepted; identical content and version ->
 * duplicate; higher version -> accepted, replacing; anything else -> conflict. Readings within
 * the group meet each other in order, so two versions in one request resolve to the highest.
 */
export function classifyReadings(
  readings: readonly Reading[],
  known: Map<string, KnownReading>,
  /** The readings' identities in the same order, when the caller has them already. */
  identities?: readonly string[],
): WriteOutcome[] {
  return readings.map((reading, index) => {
    const identity = identities?.[index] ?? readingIdentity(reading);
    const current = known.get(identity);
    if (!current) {
      known.set(identity, { reading, stored: false, changed: true });
      return "accepted";
    }
    if (
      reading.version === current.reading.version &&
      sameReadingContent(reading, current.reading)
    ) {
      return "duplicate";
    }
    if (reading.version > current.reading.version) {
      known.set(identity, { reading, stored: current.stored, changed: true });
      return "accepted";
    }
    return "conflict";
  });
}
