// From validated incoming readings to what the store keeps, and the write-window rule that both
// stores apply alike (Timestream's own limits, named in the rejection so a client can act).
import type { Reading, WriteOutcome, WriteWindow } from "../store/port.ts";
import type { IncomingReading, IngestResult } from "./schema.ts";

export function toStoredReading(incoming: IncomingReading, receivedAt: number): Reading {
  return {
    turbine_id: incoming.turbine_id,
    time: readingTime(incoming.time, receivedAt),
    power_kw: incoming.power_kw,
    wind_speed_ms: incoming.wind_speed_ms,
    status: incoming.status ?? null,
    status_code: incoming.status_code ?? null,
    version: incoming.version ?? 1,
    measures: incoming.measures ?? {},
    // Readings carry no tags any more (the registry describes turbines); the schema refuses them.
    tags: {},
  };
}

/** Epoch ms from the validated time; sub-millisecond digits are truncated (stores keep ms). */
function readingTime(time: string | number | undefined, receivedAt: number): number {
  if (time === undefined) return receivedAt;
  return typeof time === "number" ? time : Date.parse(time);
}

export type WindowCheck =
  | { ok: true }
  | { ok: false; reason: "too_old" | "too_new"; detail: string };

export function checkWriteWindow(time: number, now: number, window: WriteWindow): WindowCheck {
  if (time > now + window.maxFutureMs) {
    return {
      ok: false,
      reason: "too_new",
      detail: `more than ${window.maxFutureMs / 60_000} minutes in the future (latest accepted: ${new Date(now + window.maxFutureMs).toISOString()}); check the turbine's clock`,
    };
  }
  if (time < now - window.maxAgeMs) {
    return {
      ok: false,
      reason: "too_old",
      detail: `older than the write window of ${describeDuration(window.maxAgeMs)} (earliest accepted: ${new Date(now - window.maxAgeMs).toISOString()})`,
    };
  }
  return { ok: true };
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

/** Counts outcomes into the answer; `windowRejections` are those the app decided before the store. */
export function summarizeOutcomes(
  outcomes: ReadonlyArray<{ index: number; outcome: WriteOutcome; detail?: string }>,
): IngestResult {
  const result: IngestResult = { accepted: 0, duplicates: 0, rejected: [] };
  for (const { index, outcome, detail } of outcomes) {
    if (outcome === "accepted") result.accepted++;
    else if (outcome === "duplicate") result.duplicates++;
    else if (typeof outcome === "object")
      result.rejected.push({ index, reason: outcome.reason, detail: outcome.detail });
    else
      result.rejected.push({
        index,
        reason: outcome,
        detail: detail ?? STORE_REJECTION_DETAIL[outcome] ?? outcome,
      });
  }
  result.rejected.sort((a, b) => a.index - b.index);
  return result;
}
