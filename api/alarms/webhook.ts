// Delivers alarm events to ALARM_WEBHOOK_URL from the outbox (store.ts), one at a time in their
// sequence, so a receiver sees each alarm's `opened` before its `closed`. A failure (network,
// timeout, non-2xx) retries the same event with exponential backoff and jitter, for as long as
// it takes: the outbox row stays until a 2xx, across restarts too. Nothing here runs on the
// ingest path.
//
// Each POST carries:
//   Content-Type: application/json
//   X-Gust-Event: alarm.opened | alarm.closed
//   X-Gust-Delivery: <seq>               the same on every retry: receivers de-duplicate by it
//   X-Gust-Timestamp: <epoch seconds>    when this attempt was signed
//   X-Gust-Signature: sha256=<hex HMAC-SHA256(ALARM_WEBHOOK_SECRET, "<timestamp>.<body>")>
import { createHmac } from "node:crypto";
import { request } from "undici";
import { alarmEventJson } from "./alarm.ts";
import type { WebhookConfig } from "./config.ts";
import type { AlarmStore, OutboxEntry } from "./store.ts";

export interface WebhookNotifierOptions extends Omit<WebhookConfig, "baseDelayMs"> {
  store: AlarmStore;
  now?: () => number;
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
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  /** Attempts made, delivered or not (for tests and the log). */
  attempts = 0;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.now = options.now ?? Date.now;
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
        console.error("gust: alarm webhook could not read its outbox:", error);
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
    const body = webhookBody(entry.event);
    const timestamp = Math.floor(this.now() / 1000);
    let failure: string | null = null;
    this.attempts++;
    try {
      const response = await request(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "gust-alarms",
          "x-gust-event": `alarm.${entry.event.kind}`,
          "x-gust-delivery": String(entry.event.seq),
          "x-gust-timestamp": String(timestamp),
          "x-gust-signature": webhookSignature(this.options.secret, timestamp, body),
        },
        body,
        headersTimeout: this.options.timeoutMs ?? 10_000,
        bodyTimeout: this.options.timeoutMs ?? 10_000,
      });
      await response.body.dump();
      if (response.statusCode < 200 || response.statusCode > 299) {
        failure = `HTTP ${response.statusCode}`;
      }
    } catch (error) {
      failure = (error as Error).message || String(error);
    }
    try {
      if (failure === null) {
        await this.options.store.delivered(entry.event.seq);
        return;
      }
      const attempts = entry.attempts + 1;
      const base = this.options.baseDelayMs ?? 1000;
      const cap = this.options.maxDelayMs ?? 300_000;
      const delay = Math.min(cap, base * 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
      await this.options.store.failed(entry.event.seq, attempts, this.now() + delay, failure);
      if (attempts === 1 || attempts % 10 === 0) {
        console.error(
          `gust: alarm webhook delivery ${entry.event.seq} failed (${failure}), attempt ${attempts}; retrying with backoff`,
        );
      }
    } catch (error) {
      console.error("gust: alarm webhook could not update its outbox:", error);
      await this.sleep(1000);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.wake = null;
        resolve();
      };
      this.wake = done;
      this.timer = setTimeout(done, Math.max(0, ms));
      this.timer.unref();
    });
  }
}
