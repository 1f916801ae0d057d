// How long the current request may still take, for retries that must stop in time. On Lambda
// the handler sets it from the invocation's remaining time; elsewhere a default budget applies.
import { AsyncLocalStorage } from "node:async_hooks";
import { systemClock } from "../time/clock.ts";

const deadlines = new AsyncLocalStorage<number>();

export function withDeadline<T>(deadline: number, work: () => T): T {
  return deadlines.run(deadline, work);
}

/** The current request's deadline (epoch ms), or `now + budgetMs` when none was set. */
export function currentDeadline(budgetMs: number, now: () => number = systemClock.now): number {
  return deadlines.getStore() ?? now() + budgetMs;
}
