// The one source of "now" and of timers for gust's code. The composition roots (api/server.ts,
// the Lambda handlers, the CLIs) make one clock and hand it down; a component that only reads the
// time takes its `now`, one that waits takes the whole clock. Tests hand in their own clock (see
// test/support/manual-clock.ts) so that nothing depends on today's date or on waiting.

/** A pending timer; `unref` lets the process exit while it waits. */
export interface TimerHandle {
  unref(): unknown;
}

export interface Clock {
  /** Epoch milliseconds. A property, so `clock.now` may be passed on alone. */
  readonly now: () => number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  setInterval(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or an interval; nothing for null or undefined. */
  clear(timer: TimerHandle | null | undefined): void;
}

/**
 * The machine's clock. The globals are looked up on every call, not captured at import, so that
 * a test's fake timers (vitest's `vi.useFakeTimers`) govern it too.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  setInterval: (callback, ms) => globalThis.setInterval(callback, ms),
  clear: (timer) => {
    if (timer) globalThis.clearTimeout(timer as NodeJS.Timeout);
  },
};

/** Resolves after `ms` on `clock`; rejects with the signal's reason when it aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clear(timer);
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * An AbortSignal that aborts after `ms` on `clock` with a TimeoutError, as AbortSignal.timeout
 * does on the machine's clock; `clear` stops its timer once the work it bounds is done. Deadlines
 * then follow the same clock as the times they are computed from (a test's or a benchmark's).
 */
export function timeoutSignal(
  clock: Clock,
  ms: number,
): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = clock.setTimeout(
    () => controller.abort(new DOMException("The operation timed out.", "TimeoutError")),
    Math.max(0, ms),
  );
  timer.unref();
  return { signal: controller.signal, clear: () => clock.clear(timer) };
}
