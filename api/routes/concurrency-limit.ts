// A bound on how many of one kind of heavy read run at once in this process (exports): each holds
// the event loop in turns while it encodes its pages and keeps DuckDB's threads busy, so beyond a
// few at once they only slow each other and starve the single readings that share the loop.
import { problemResponse } from "../problem.ts";

export class ConcurrencyLimit {
  private running = 0;

  constructor(
    /** How many may run at once. */
    readonly max: number,
  ) {}

  get inUse(): number {
    return this.running;
  }

  /** A release function (idempotent) when a slot is free, else null. */
  tryTake(): (() => void) | null {
    if (this.running >= this.max) return null;
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
    };
  }
}

/** The answer when every slot is taken: 503 with Retry-After, saying what to do. */
export function busy(what: string, max: number, retryAfterSeconds: number): Response {
  return problemResponse(
    503,
    "too-many-heavy-reads",
    "Too many at once",
    `This server runs at most ${max} ${what} at once, and that many are running: send the request again after Retry-After seconds.`,
    { headers: { "retry-after": String(retryAfterSeconds) } },
  );
}
