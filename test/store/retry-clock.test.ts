// Retries and their per-attempt deadline follow the one clock they are handed: a call that never
// answers is aborted when that clock passes the deadline, and not before, however long the
// machine takes (the cost benchmark's counts must not depend on load).
import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../api/store/port.ts";
import { DEFAULT_RETRY, withRetries } from "../../api/store/retry.ts";
import { timeoutSignal } from "../../api/time/clock.ts";
import { ManualClock } from "../support/manual-clock.ts";

const never = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

describe("one clock for retries and their deadline", () => {
  it("aborts an attempt when the clock passes the deadline, never on the machine's time", async () => {
    const clock = new ManualClock("2030-01-01T00:00:00Z");
    let attempts = 0;
    let settled = false;
    const call = withRetries(
      "test call",
      clock.now() + 5_000,
      DEFAULT_RETRY,
      (signal) => {
        attempts++;
        return never(signal);
      },
      { clock, random: () => 0 },
    ).finally(() => {
      settled = true;
    });
    call.catch(() => {});
    // Event-loop turns, not the machine's time: the attempt is pending on the test clock alone.
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await clock.advance(4_999);
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(call).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(call).rejects.toThrow(/no answer before the deadline|time budget ran out/);
    expect(attempts).toBeGreaterThanOrEqual(1);
  });

  it("leaves no timer behind once the work is done", async () => {
    const clock = new ManualClock("2030-01-01T00:00:00Z");
    expect(
      await withRetries("ok", clock.now() + 5_000, DEFAULT_RETRY, async () => 7, { clock }),
    ).toBe(7);
    expect(clock.timers).toBe(0);
    const { signal, clear } = timeoutSignal(clock, 1_000);
    await clock.advance(1_000);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe("TimeoutError");
    clear();
  });
});
