// Retrying AWS calls that failed for passing reasons (throttling, 5xx, the network), with capped
// exponential backoff and full jitter, until the request's deadline; then the store is
// "unavailable" and the client gets a 503 with Retry-After and resends (writes are idempotent).
import { setTimeout as sleep } from "node:timers/promises";
import { StoreUnavailableError } from "./port.ts";

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** Never start an attempt that cannot finish before the deadline, by this margin. */
  marginMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 50, capMs: 2000, marginMs: 500 };

const RETRYABLE_NAMES = new Set([
  "ThrottlingException",
  "InternalServerException",
  "ServiceUnavailableException",
  "RequestTimeout",
  "TimeoutError",
]);

export function isRetryable(error: unknown): boolean {
  const e = error as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    code?: string;
    retryable?: unknown;
  };
  // Errors that know whether they pass (the InfluxDB client's) say so themselves.
  if (typeof e.retryable === "boolean") return e.retryable;
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP answer at all: a network error.
  return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ENOTFOUND"].includes(e.code ?? "");
}

export async function withRetries<T>(
  what: string,
  deadline: number,
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  random: () => number = Math.random,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      const delay = random() * Math.min(policy.capMs, policy.baseMs * 2 ** n);
      if (Date.now() + delay + policy.marginMs >= deadline) {
        throw new StoreUnavailableError(
          `${what} still failing after ${n + 1} attempt(s): ${(error as Error).name}`,
          Math.max(1, Math.ceil(policy.capMs / 1000)),
        );
      }
      await sleep(delay);
    }
  }
}
