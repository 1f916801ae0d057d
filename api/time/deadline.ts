// How long the current request may still take, for retries and calls to dependencies that must
// stop in time. On Lambda the handler sets it from the invocation's remaining time; elsewhere a
// default budget applies. Every deadline is on the clock the caller hands in.
import { AsyncLocalStorage } from "node:async_hooks";
import { type Clock, systemClock, timeoutSignal } from "./clock.ts";

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
 * A dependency (a store, DynamoDB, Secrets Manager) that cannot answer now: the request is
 * answered 503 with Retry-After, nothing changed, and may be sent again.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
    this.name = "DependencyUnavailableError";
  }
}

const RETRYABLE_NAMES = new Set([
  "ThrottlingException",
  "InternalServerException",
  "ServiceUnavailableException",
  "RequestTimeout",
  "TimeoutError",
  // 421: the discovered endpoint is stale; the SDK drops it from its cache, so a retry
  // discovers a fresh one.
  "InvalidEndpointException",
  // Our own per-attempt abort at the deadline (the SDK names it so).
  "AbortError",
]);

/** Whether a dependency's failure passes (throttling, 5xx, the network, no answer in time). */
export function isRetryable(error: unknown): boolean {
  const e = error as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    code?: string;
    retryable?: unknown;
    reason?: unknown;
    message?: string;
  };
  // Errors that know whether they pass (the InfluxDB client's) say so themselves.
  if (typeof e.retryable === "boolean") return e.retryable;
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  // Endpoint discovery failing arrives as a plain Error carrying the cause in `reason`
  // (@aws-sdk/middleware-endpoint-discovery): the DescribeEndpoints call itself failed.
  if (e.reason !== undefined && /discover endpoint/i.test(e.message ?? "")) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP answer at all: a network error.
  return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ENOTFOUND"].includes(e.code ?? "");
}

/**
 * A dependency's call before the deadline, as beforeDeadline; a failure that passes is a
 * DependencyUnavailableError, which every runtime answers 503 with Retry-After. Other failures
 * (a missing secret, no permission) are thrown as they are.
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
    throw new DependencyUnavailableError(
      `${what} did not answer in time: ${e.name}: ${e.message}`,
      5,
    );
  }
}
