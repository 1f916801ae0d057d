// One SSE client of the live hub. On connect: a `snapshot`; after a reconnect with Last-Event-ID,
// the alarm events it missed; then `update` events as the hub applies readings (a few a second
// at most, its batch interval) and `alarm` events as alarms open and close. Each client has a
// bounded queue: a client that cannot keep up is disconnected (it reconnects and gets a fresh
// snapshot) instead of the server holding an ever-growing backlog for it.
import type { SSEStreamingApi } from "hono/streaming";
import { type AlarmEvent, alarmEventJson } from "../alarms/alarm.ts";
import type { LiveEvent, LiveHub } from "./hub.ts";

/** Events queued for one client before it counts as too slow (about 15 s of updates). */
export const MAX_QUEUED_EVENTS = 64;
const KEEPALIVE_MS = 15_000;
/** What EventSource waits before reconnecting (its `retry:` field). */
const RETRY_MS = 2_000;

interface Outgoing {
  event: string;
  id: string;
  data: string;
}

export interface LiveStreamOptions {
  hub: LiveHub;
  /** The alarm events after `seq` from the alarm store, for a resumed stream. */
  alarmEventsSince: (seq: number) => Promise<AlarmEvent[]>;
  /** The Last-Event-ID the client sent (header, or the page's `last_event_id` parameter). */
  lastEventId?: string;
  /** Tells the caller a client was dropped (for logs and tests). */
  onDropped?: () => void;
}

export async function runLiveStream(stream: SSEStreamingApi, options: LiveStreamOptions) {
  const { hub } = options;
  const queue: Outgoing[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  const finish = () => {
    done = true;
    wake?.();
  };
  // Subscribe and take the snapshot in the same tick: every event after it is queued.
  const unsubscribe = hub.subscribe((event) => {
    if (done) return;
    if (event.type === "closing") {
      finish();
      return;
    }
    if (queue.length >= MAX_QUEUED_EVENTS) {
      options.onDropped?.();
      finish();
      stream.abort();
      return;
    }
    queue.push(outgoing(event, hub));
    wake?.();
  });
  stream.onAbort(finish);
  const snapshot = hub.snapshot();
  const keepalive = hub.clock.setInterval(() => {
    void stream.write(": keepalive\n\n");
  }, KEEPALIVE_MS);
  try {
    await stream.writeSSE({
      event: "snapshot",
      id: snapshot.last_event_id,
      data: JSON.stringify(snapshot),
      retry: RETRY_MS,
    });
    const resumeFrom = parseEventId(options.lastEventId);
    if (resumeFrom !== null && resumeFrom < hub.alarmSeq) {
      const upTo = Number(snapshot.last_event_id);
      for (const event of await options.alarmEventsSince(resumeFrom)) {
        if (event.seq > upTo) break; // later ones are in the queue already
        await stream.writeSSE({
          event: "alarm",
          id: String(event.seq),
          data: JSON.stringify(alarmEventJson(event)),
        });
      }
    }
    while (!done) {
      const next = queue.shift();
      if (next) {
        await stream.writeSSE(next);
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  } finally {
    hub.clock.clear(keepalive);
    unsubscribe();
  }
}

function outgoing(event: Exclude<LiveEvent, { type: "closing" }>, hub: LiveHub): Outgoing {
  if (event.type === "alarm") {
    return {
      event: "alarm",
      id: String(event.event.seq),
      data: JSON.stringify(alarmEventJson(event.event)),
    };
  }
  return { event: "update", id: hub.eventId(), data: event.json() };
}

/** The alarm sequence number in a Last-Event-ID, or null when there is none or it is not ours. */
export function parseEventId(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}
