// What makes two readings "the same": their identity, and whether their content matches.
// Both stores use these, so duplicates and conflicts mean the same thing everywhere.
import type { Reading } from "./port.ts";

/** A reading's identity is (turbine_id, time), as in the contract. */
export function readingIdentity(reading: Pick<Reading, "turbine_id" | "time">): string {
  return `${reading.turbine_id}\u0000${reading.time}`;
}

/** True when the measures and dimensions match; the version is compared by the caller. */
export function sameReadingContent(a: Reading, b: Reading): boolean {
  if (a.power_kw !== b.power_kw || a.wind_speed_ms !== b.wind_speed_ms || a.status !== b.status) {
    return false;
  }
  const aTags = Object.keys(a.tags);
  if (aTags.length !== Object.keys(b.tags).length) return false;
  return aTags.every((key) => a.tags[key] === b.tags[key]);
}
