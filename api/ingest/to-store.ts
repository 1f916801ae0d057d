// From validated incoming readings to what the store keeps, and the write-window rule that both
// stores apply alike (Timestream's own limits, named in the rejection so a client can act).

import type { IncomingReading, IngestResult } from "../readings/schema.ts";
import type { Reading, WriteOutcome, WriteWindow } from "../store/port.ts";

/**
 * The measures of a reading that has none, and the tags of every reading: one shared frozen
 * object instead of two empty objects a reading (a gateway's batch allocates enough without
 * them), which nothing may change.
 */
const NONE: Readonly<Record<string, never>> = Object.freeze({});

export function toStoredReading(incoming: IncomingReading, receivedAt: number): Reading {
  return {
    turbine_id: incoming.turbine_id,
    time: readingTime(incoming.time, receivedAt),
    power_kw: incoming.power_kw,
    wind_speed_ms: incoming.wind_speed_ms,
    status: incoming.status ?? null,
    status_code: incoming.status_code ?? null,
    version: incoming.version ?? 1,
    measures: incoming.measures ?? NONE,
    // Readings carry no tags any more (the registry describes turbines); the schema refuses them.
    tags: NONE,
  };
}

/** Epoch ms from the validated time; sub-millisecond digits are truncated (stores keep ms). */
function readingTime(time: string | number | undefined, receivedAt: number): number {
  if (time === undefined) return receivedAt;
  return typeof time === "number" ? time : Date.parse(time);
}

/** A reading the write window refuses, with what the client should know. */
export interface WindowRejection {
  reason: "too_old" | "too_new";
  detail: string;
}

/** What became of one reading of a request: the window's rejection, or the store's outcome. */
export type ReadingOutcome = WriteOutcome | WindowRejection;

/** Why a reading's time is outside the store's write window, or null when it is inside. */
export function checkWriteWindow(
  time: number,
  now: number,
  window: WriteWindow,
): WindowRejection | null {
  if (time > now + window.maxFutureMs) {
    return {
      reason: "too_new",
      detail: `more than ${window.maxFutureMs / 60_000} minutes in the future (latest accepted: ${new Date(now + window.maxFutureMs).toISOString()}); check the turbine's clock`,
    };
  }
  if (time < now - window.maxAgeMs) {
    return {
      reason: "too_old",
      detail: `older than the write window of ${describeDuration(window.maxAgeMs)} (earliest accepted: ${new Date(now - window.maxAgeMs).toISOString()})`,
    };
  }
  return null;
}

function describeDuration(ms: number): string {
  const hours = ms / 3_600_000;
  return hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`;
}

const STORE_REJECTION_DETAIL: Record<string, string> = {
  conflict:
    "a different reading with this turbine_id and time is stored; send a higher version to replace it",
  too_old: "older than the store's write window",
  too_new: "too far in the future for the store",
};

/** Counts the outcomes of a request's readings (by index) into the answer. */
export function summarizeOutcomes(outcomes: readonly ReadingOutcome[]): IngestResult {
  const result: IngestResult = { accepted: 0, duplicates: 0, rejected: [] };
  for (let index = 0; index < outcomes.length; index++) {
    const outcome = outcomes[index] as ReadingOutcome;
    if (outcome === "accepted") result.accepted++;
    else if (outcome === "duplicate") result.duplicates++;
    else if (typeof outcome === "object")
      result.rejected.push({ index, reason: outcome.reason, detail: outcome.detail });
    else
      result.rejected.push({
        index,
        reason: outcome,
        detail: STORE_REJECTION_DETAIL[outcome] ?? outcome,
      });
  }
  return result;
}
