// The one answer when the store cannot serve a request (disk full, DuckDB failing, Timestream
// throttling): 503 with Retry-After, for reads and writes alike, never a 500.
import { problemResponse } from "../problem.ts";
import type { DependencyUnavailableError } from "../time/deadline.ts";

export function storeUnavailable(
  error: DependencyUnavailableError,
  detail = "The store cannot answer right now; nothing was changed. Try again after Retry-After seconds.",
): Response {
  return problemResponse(503, "store-unavailable", "Store unavailable", detail, {
    headers: { "retry-after": String(error.retryAfterSeconds) },
  });
}
