// A clock that moves only when the test moves it: the app under test, the fakes beside it and the
// test itself all read this one, so that no test depends on today's date or waits on the wall
// clock. Timers fire in time order as `advance` passes them; `runUntil` moves the clock from one
// timer to the next while real I/O (a loopback server, a DuckDB file) makes progress in between.
import { setImmediate as turn } from "node:timers/promises";
import type { Clock, TimerHandle } from "../../api/time/clock.ts";

interface Pending {
  id: number;
  at: number;
  every: number | null;
  callback: () => void;
}

class ManualTimer implements TimerHandle {
  constructor(readonly id: number) {}
  unref(): this {
    return this;
  }
}

export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(start: number | string) {
    this.time = typeof start === "string" ? Date.parse(start) : start;
    if (!Number.isFinite(this.time)) throw new Error(`ManualClock: not a time: ${start}`);
  }

  readonly now = (): number => this.time;

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.schedule(callback, ms, null);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.schedule(callback, ms, Math.max(1, ms));
  }

  clear(timer: TimerHandle | null | undefined): void {
    if (timer instanceof ManualTimer) this.pending.delete(timer.id);
  }

  /** Puts the clock at `time` (forward or back) without firing any timer. */
  set(time: number): void {
    this.time = time;
  }

  /** Timers waiting to fire. */
  get timers(): number {
    return this.pending.size;
  }

  /**
   * Moves the clock forward by `ms`, firing every timer due on the way in time order, with the
   * clock set to each timer's time when it fires and a turn of the event loop after each.
   */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > until) break;
      this.time = Math.max(this.time, next.at);
      this.fire(next);
      await turn();
    }
    this.time = until;
    await turn();
  }

  /**
   * Settles `work` (a promise, or a condition to become true) while moving the clock from timer
   * to timer: between two moves the event loop turns `turnsPerStep` times, so that requests on
   * loopback and file I/O go on as they would. Intervals keep firing while the work waits on I/O,
   * so the clock may run ahead of the work; what the work does must depend on the clock's values,
   * not on how far it ran. Gives up after `maxSteps` moves, naming `what`.
   */
  async runUntil<T>(
    work: Promise<T> | (() => boolean),
    { what = "the work", turnsPerStep = 20, maxSteps = 100_000 } = {},
  ): Promise<T | undefined> {
    let settled = false;
    const done =
      typeof work === "function"
        ? Promise.resolve(undefined)
        : work.finally(() => {
            settled = true;
          });
    done.catch(() => undefined);
    const finished = () => settled || (typeof work === "function" && work());
    for (let step = 0; !finished(); step++) {
      if (step > maxSteps) throw new Error(`ManualClock: ${what} did not happen`);
      for (let i = 0; i < turnsPerStep && !finished(); i++) await turn();
      if (finished()) break;
      const next = this.earliest();
      if (next) {
        this.time = Math.max(this.time, next.at);
        this.fire(next);
      } else {
        // Nothing to fire: the work waits on I/O alone. A real millisecond instead of spinning
        // the loop; no result depends on its length.
        await new Promise((resolve) => globalThis.setTimeout(resolve, 1));
      }
    }
    return done;
  }

  private schedule(callback: () => void, ms: number, every: number | null): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { id, at: this.time + Math.max(0, ms), every, callback });
    return new ManualTimer(id);
  }

  private earliest(): Pending | undefined {
    let first: Pending | undefined;
    for (const timer of this.pending.values()) {
      if (!first || timer.at < first.at || (timer.at === first.at && timer.id < first.id))
        first = timer;
    }
    return first;
  }

  private fire(timer: Pending): void {
    if (timer.every === null) this.pending.delete(timer.id);
    else timer.at += timer.every;
    timer.callback();
  }
}

/** A clock fixed at one time, for tests that read "now" and set no timer that must fire. */
export function fixedClock(time: number | string): ManualClock {
  return new ManualClock(time);
}
