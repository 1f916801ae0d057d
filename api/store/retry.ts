// Retrying AWS calls that failed for passing reasons (throttling, 5xx, the network, endpoint
// discovery), with capped exponential backoff and full jitter, until the request's deadline;
// then the store is "unavailable" and the client gets a 503 with Retry-After and resends
// (writes are idempotent). Every attempt carries an AbortSignal that fires at the deadline, so a
// call that never answers cannot outlive the request's budget (Lambda would time out and API
// Gateway answer its own generic 500 instead of gust's 503). The deadline, the waits and the
// per-attempt abort all follow the one clock the caller hands in.
import { type Clock, sleep, systemClock, timeoutSignal } from "../time/clock.ts";
import { isRetryable } from "../time/deadline.ts";
import { StoreUnavailableError } from "./port.ts";

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** Never start an attempt that cannot finish before the deadline, by this margin. */
  marginMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 50, capMs: 2000, marginMs: 500 };

export async function withRetries<T>(
  what: string,
  deadline: number,
  policy: RetryPolicy,
  attempt: (abortSignal: AbortSignal) => Promise<T>,
  { random = Math.random, clock = systemClock }: { random?: () => number; clock?: Clock } = {},
): Promise<T> {
  for (let n = 0; ; n++) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw unavailable(what, n, "the request's time budget ran out", policy);
    const timeout = timeoutSignal(clock, remaining);
    try {
      return await attempt(timeout.signal);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      const delay = random() * Math.min(policy.capMs, policy.baseMs * 2 ** n);
      if (clock.now() + delay + policy.marginMs >= deadline) {
        throw unavailable(what, n + 1, describe(error), policy);
      }
      await sleep(clock, delay);
    } finally {
      timeout.clear();
    }
  }
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return e.name === "AbortError" || e.name === "TimeoutError"
    ? "no answer before the deadline"
    : (e.name ?? "error");
}

function unavailable(
  what: string,
  attempts: number,
  why: string,
  policy: RetryPolicy,
): StoreUnavailableError {
  return new StoreUnavailableError(
    `${what} still failing after ${attempts} attempt(s): ${why}`,
    Math.max(1, Math.ceil(policy.capMs / 1000)),
  );
}
