// How long the current request may still take, for retries that must stop in time. On Lambda
// the handler sets it from the invocation's remaining time; elsewhere a default budget applies.
import { AsyncLocalStorage } from "node:async_hooks";
import { type Clock, systemClock, timeoutSignal } from "../time/clock.ts";
import { StoreUnavailableError } from "./port.ts";
import { isRetryable } from "./retry.ts";

const deadlines = new AsyncLocalStorage<number>();

export function withDeadline<T>(deadline: number, work: () => T): T {
  return deadlines.run(deadline, work);
}

/** The current request's deadline (epoch ms), or `now + budgetMs` when none was set. */
export function currentDeadline(budgetMs: number, now: () => number = systemClock.now): number {
  return deadlines.getStore() ?? now() + budgetMs;
}

/**
 * Runs one call to a dependency (DynamoDB, Secrets Manager) with an AbortSignal that fires at the
 * current request's deadline on `clock`: a dependency that never answers costs the request its
 * remaining time, never the Lambda's timeout.
 */
export async function beforeDeadline<T>(
  call: (abortSignal: AbortSignal) => Promise<T>,
  { clock = systemClock, budgetMs = 10_000 }: { clock?: Clock; budgetMs?: number } = {},
): Promise<T> {
  const timeout = timeoutSignal(clock, currentDeadline(budgetMs, clock.now) - clock.now());
  try {
    return await call(timeout.signal);
  } finally {
    timeout.clear();
  }
}

/**
 * A dependency's call before the deadline, as beforeDeadline; a failure that passes (throttling,
 * 5xx, the network, no answer in time) is a StoreUnavailableError, which every runtime answers
 * 503 with Retry-After. Other failures (a missing secret, no permission) are thrown as they are.
 */
export async function callDependency<T>(
  what: string,
  call: (abortSignal: AbortSignal) => Promise<T>,
  options: { clock?: Clock; budgetMs?: number } = {},
): Promise<T> {
  try {
    return await beforeDeadline(call, options);
  } catch (error) {
    if (!isRetryable(error)) throw error;
    const e = error as Error;
    throw new StoreUnavailableError(`${what} did not answer in time: ${e.name}: ${e.message}`, 5);
  }
}
