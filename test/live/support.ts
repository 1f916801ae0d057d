// Reading Server-Sent Events from a real server in tests: the events as they arrive.
import type { Reading } from "../../api/store/port.ts";
import { storeReading } from "../support/store-reading.ts";

export interface SseEvent {
  event: string;
  id: string;
  data: any;
}

export interface SseClient {
  status: number;
  contentType: string;
  events: SseEvent[];
  /** Resolves with the first event (from now on, or already received) that matches. */
  next(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  closed: Promise<void>;
  close(): void;
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  let buffer = "";
  const closed = (async () => {
    if (!response.body || response.status !== 200) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: "message", id: "", data: "" };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event.event = line.slice(7);
            else if (line.startsWith("id: ")) event.id = line.slice(4);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (data.length === 0) continue; // a comment (keepalive) or retry only
          event.data = JSON.parse(data.join("\n"));
          events.push(event);
          for (const waiter of [...waiters]) {
            if (waiter.match(event)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(event);
            }
          }
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    events,
    closed,
    next(match, timeoutMs = 10_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        // A guard that fails the test with what arrived, not a wait: the event settles it first.
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching event in ${timeoutMs} ms; got ${events.map((e) => e.event).join(",")}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (event) => {
            clearTimeout(timer);
            resolve(event);
          },
        });
      });
    },
    close: () => controller.abort(),
  };
}

/**
 * A stored reading for the hub's unit tests (8 m/s unless given). A status may be any string:
 * the hub must cope with what an older store hands it.
 */
export function storedReading(fields: {
  turbine_id: string;
  time: number;
  power_kw: number;
  wind_speed_ms?: number;
  status?: string | null;
}): Reading {
  return storeReading({ wind_speed_ms: 8, ...(fields as Partial<Reading> & typeof fields) });
}
