// Delivers alarm events to ALARM_WEBHOOK_URL from the outbox (store.ts), one at a time in their
// sequence, so a receiver sees each alarm's `opened` before its `closed`. A failure (network,
// timeout, non-2xx) retries the same event with exponential backoff and jitter, for as long as
// it takes: the outbox row stays until a 2xx, across restarts too. Nothing here runs on the
// ingest path. The local server runs WebhookNotifier (a loop woken by new events); the scheduled
// evaluation on Lambda calls deliverDue once a minute. Both deliver with deliverOne.
//
// Each POST carries:
//   Content-Type: application/json
//   X-Gust-Event: alarm.opened | alarm.closed
//   X-Gust-Delivery: <seq>               the same on every retry: receivers de-duplicate by it
//   X-Gust-Timestamp: <epoch seconds>    when this attempt was signed
//   X-Gust-Signature: sha256=<hex HMAC-SHA256(ALARM_WEBHOOK_SECRET, "<timestamp>.<body>")>
import { createHmac } from "node:crypto";
import { alarmEventJson } from "../live/alarm.ts";
import { log } from "../log.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/clock.ts";
import type { WebhookConfig } from "./config.ts";
import type { AlarmStore, OutboxEntry } from "./store.ts";

export interface WebhookNotifierOptions extends Omit<WebhookConfig, "baseDelayMs"> {
  store: AlarmStore;
  clock?: Clock;
  /** First retry after this long, doubling up to maxDelayMs (defaults 1 s and 5 min). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
}

export function webhookBody(entry: OutboxEntry["event"]): string {
  return JSON.stringify({ type: `alarm.${entry.kind}`, ...alarmEventJson(entry) });
}

export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export class WebhookNotifier {
  private running = false;
  private wake: (() => void) | null = null;
  /** Set by kick(), so a kick while the loop is busy is not lost. */
  private kicked = false;
  private timer: TimerHandle | null = null;
  private loop: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  private readonly now: () => number;
  /** Attempts made, delivered or not (for tests and the log). */
  attempts = 0;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.now = this.clock.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** New events are in the outbox: look now rather than at the next scheduled retry. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      let head: OutboxEntry | null = null;
      try {
        head = await this.options.store.outboxHead();
      } catch (error) {
        log.error("alarm webhook could not read its outbox", error as Error);
      }
      const now = this.now();
      if (!head || head.nextAttemptAt > now) {
        await this.sleep(head ? head.nextAttemptAt - now : 60_000);
        continue;
      }
      await this.deliver(head);
    }
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    this.attempts++;
    if ((await deliverOne(this.options, entry, this.now)) === "outbox-failed") {
      await this.sleep(1000);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.clock.clear(this.timer);
        this.timer = null;
        this.wake = null;
        resolve();
      };
      this.wake = done;
      this.timer = this.clock.setTimeout(done, Math.max(0, ms));
      this.timer.unref();
    });
  }
}

type DeliveryOptions = Omit<WebhookNotifierOptions, "clock">;

/**
 * POSTs one outbox event and records the outcome: delivered (the outbox row goes), or failed
 * with its next attempt after the backoff ("retry"); "outbox-failed" when the outbox could not
 * be updated (the event is then tried again as it was).
 */
export async function deliverOne(
  options: DeliveryOptions,
  entry: OutboxEntry,
  now: () => number,
): Promise<"delivered" | "retry" | "outbox-failed"> {
  const failure = await post(options, entry, now);
  try {
    if (failure === null) {
      await options.store.delivered(entry.event.seq);
      return "delivered";
    }
    const attempts = entry.attempts + 1;
    const base = options.baseDelayMs ?? 1000;
    const cap = options.maxDelayMs ?? 300_000;
    const delay = Math.min(cap, base * 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
    await options.store.failed(entry.event.seq, attempts, now() + delay, failure);
    if (attempts === 1 || attempts % 10 === 0) {
      log.warn("alarm webhook delivery failed; retrying with backoff", {
        seq: entry.event.seq,
        failure,
        attempts,
      });
    }
    return "retry";
  } catch (error) {
    log.error("alarm webhook could not update its outbox", error as Error);
    return "outbox-failed";
  }
}

/** What of a receiver's answer is read (and dropped) before the connection is let go. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Reads and drops at most MAX_ANSWER_BYTES of the answer, then cancels the rest: only the status
 * matters, and a receiver's endless or huge answer must not fill the memory.
 */
async function discardAnswer(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  try {
    for (let read = 0; read <= MAX_ANSWER_BYTES; ) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // A broken answer changes nothing: the status is what counts.
  }
}

/** The POST of one event: null when the receiver answered 2xx, what went wrong otherwise. */
async function post(
  options: DeliveryOptions,
  entry: OutboxEntry,
  now: () => number,
): Promise<string | null> {
  const body = webhookBody(entry.event);
  const timestamp = Math.floor(now() / 1000);
  try {
    // Node's own fetch: nothing to bundle on Lambda.
    const response = await fetch(options.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "gust-alarms",
        "x-gust-event": `alarm.${entry.event.kind}`,
        "x-gust-delivery": String(entry.event.seq),
        "x-gust-timestamp": String(timestamp),
        "x-gust-signature": webhookSignature(options.secret, timestamp, body),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await discardAnswer(response);
    if (response.status < 200 || response.status > 299) return `HTTP ${response.status}`;
    return null;
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    return cause?.message || (error as Error).message || String(error);
  }
}

/**
 * The scheduled evaluation's delivery: every due event in sequence order until one fails (it
 * and those after it wait for their retry time, so a receiver still sees each alarm's `opened`
 * before its `closed`), the outbox is empty, or `until` (epoch ms) comes.
 */
export async function deliverDue(
  options: DeliveryOptions,
  now: () => number,
  until: number,
): Promise<{ delivered: number; failed: number; waiting: boolean }> {
  let delivered = 0;
  let failed = 0;
  while (now() < until) {
    const head = await options.store.outboxHead();
    if (!head) return { delivered, failed, waiting: false };
    if (head.nextAttemptAt > now()) return { delivered, failed, waiting: true };
    const outcome = await deliverOne(options, head, now);
    if (outcome !== "delivered") {
      if (outcome === "retry") failed++;
      break;
    }
    delivered++;
  }
  return { delivered, failed, waiting: true };
}
