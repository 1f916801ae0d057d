// Failed key attempts, counted per client address: past a threshold, every further failed
// attempt from that address is answered late, so that guessing keys costs the guesser time.
// A valid key is never delayed (only the 401 path waits), so a turbine behind the same NAT as a
// guesser keeps its speed. Counts live in the process (on Lambda: per container).
import { systemClock } from "../time/clock.ts";

/** Failed attempts an address may make in a window before its 401s are slowed. */
export const FAILED_KEY_THRESHOLD = 10;
export const FAILED_KEY_WINDOW_MS = 60_000;
/** The first slowed 401 waits this long, each further one twice as long, up to the maximum. */
export const FAILED_KEY_FIRST_DELAY_MS = 250;
export const FAILED_KEY_MAX_DELAY_MS = 10_000;
/** Addresses tracked at most; when full, the oldest window is forgotten. */
const MAX_ADDRESSES = 10_000;

interface Failures {
  count: number;
  windowStart: number;
}

export class FailedKeyThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly now: () => number = systemClock.now) {}

  /** Notes one failed attempt; answers how long to delay its 401 (0 below the threshold). */
  fail(address: string): number {
    const now = this.now();
    let entry = this.failures.get(address);
    if (!entry || now - entry.windowStart >= FAILED_KEY_WINDOW_MS) {
      entry = { count: 0, windowStart: now };
      this.failures.delete(address);
      if (this.failures.size >= MAX_ADDRESSES) {
        const oldest = this.failures.keys().next().value;
        if (oldest !== undefined) this.failures.delete(oldest);
      }
      this.failures.set(address, entry);
    }
    entry.count++;
    const over = entry.count - FAILED_KEY_THRESHOLD;
    if (over <= 0) return 0;
    return Math.min(
      FAILED_KEY_MAX_DELAY_MS,
      FAILED_KEY_FIRST_DELAY_MS * 2 ** Math.min(over - 1, 20),
    );
  }

  /** Failed attempts of an address in its current window. */
  count(address: string): number {
    const entry = this.failures.get(address);
    return entry && this.now() - entry.windowStart < FAILED_KEY_WINDOW_MS ? entry.count : 0;
  }
}

/** The caller's address: the socket's on Node, API Gateway's sourceIp on Lambda. */
export function clientAddress(env: unknown): string {
  const e = env as {
    incoming?: { socket?: { remoteAddress?: string } };
    event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
  } | null;
  return (
    e?.incoming?.socket?.remoteAddress ??
    e?.event?.requestContext?.http?.sourceIp ??
    e?.event?.requestContext?.identity?.sourceIp ??
    "unknown"
  );
}
