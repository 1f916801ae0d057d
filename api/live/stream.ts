// The live view's SSE clients, on Node's own response objects. On connect: a `snapshot`; after a
// reconnect with Last-Event-ID, the alarm events it missed; then `update` events as the hub
// applies readings (deltas: the turbines that changed, a few a second at most) and `alarm` events
// as alarms open and close.
//
// One serialisation for everyone: each event (and the snapshot, once a batch) becomes bytes once
// and the same Buffer is written to every client. Nothing is held without bound: connections are
// capped per key and in total, a client still taking its snapshot may fall a fixed number of
// events behind, one that took it may leave a fixed number of bytes unsent, and the snapshots
// that clients have not taken yet may hold a fixed number of bytes between them. A client past a
// bound is disconnected (EventSource reconnects and gets a fresh snapshot).
import type { ServerResponse } from "node:http";
import { log } from "../log.ts";
import type { TimerHandle } from "../time/clock.ts";
import { type AlarmEvent, alarmEventJson } from "./alarm.ts";
import type { LiveEvent, LiveHub } from "./hub.ts";

export interface LiveLimits {
  /** Streams open at once; beyond it a new one is refused with 503. */
  maxClients: number;
  /** Streams open at once with one key (live tokens count as one key); beyond it 429. */
  maxClientsPerKey: number;
  /** Bytes a client that has its snapshot may leave unsent before it is dropped. */
  maxBufferedBytes: number;
  /** Events held for a client still taking its snapshot before it is dropped. */
  maxQueuedEvents: number;
  /**
   * Bytes of the distinct snapshots that clients are still taking. A new snapshot past it drops
   * the clients holding the oldest ones (the newest is always served).
   */
  snapshotBudgetBytes: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  maxClients: 500,
  maxClientsPerKey: 400,
  maxBufferedBytes: 1 << 20,
  maxQueuedEvents: 64,
  snapshotBudgetBytes: 128 << 20,
};

const KEEPALIVE_MS = 15_000;
/** What EventSource waits before reconnecting (its `retry:` field). */
const RETRY_MS = 2_000;
/** Missed alarm events sent on a resume; more, and the client has the snapshot's open alarms. */
export const MAX_RESUMED_ALARMS = 1_000;
/** What a refused client is told to wait (Retry-After, seconds). */
export const LIVE_RETRY_AFTER_S = 5;

export interface LiveStreamStats {
  clients: number;
  /** Clients disconnected for falling behind, since the start. */
  dropped: number;
  /** Streams refused at a cap, since the start. */
  refused: number;
  /** The most bytes any client had unsent after an event was written to it (snapshots aside). */
  peakBufferedBytes: number;
  /** Snapshots serialised since the start (one serves every client that connects meanwhile). */
  snapshotsBuilt: number;
  /** Bytes of distinct snapshots clients are still taking now. */
  pinnedSnapshotBytes: number;
}

interface Snapshot {
  json: string;
  /** Its event id: the last alarm event it includes. */
  id: number;
  bytes: Buffer;
  /** Clients whose copy of it is not all sent yet. */
  holders: Set<Client>;
}

interface Client {
  res: ServerResponse;
  key: string;
  /** The snapshot it is taking; null once sent (or before). */
  snapshot: Snapshot | null;
  /** Events held while it takes its snapshot or its missed alarms are read. */
  queue: Buffer[] | null;
  resuming: boolean;
}

export interface OpenStream {
  key: string;
  /** The Last-Event-ID the client sent (header, or the page's `last_event_id` parameter). */
  lastEventId?: string;
}

export class LiveStreams {
  private readonly clients = new Set<Client>();
  private readonly perKey = new Map<string, number>();
  /** Snapshots some client is still taking, oldest first. */
  private readonly snapshots: Snapshot[] = [];
  private latest: Snapshot | null = null;
  private dropped = 0;
  private refused = 0;
  private peakBufferedBytes = 0;
  private snapshotsBuilt = 0;
  /** Set once the server stops: a stream opened after that would hold its close up. */
  private closed = false;
  private readonly keepalive: TimerHandle;
  private readonly unsubscribe: () => void;
  readonly limits: LiveLimits;

  constructor(
    private readonly hub: LiveHub,
    /** The alarm events after `seq` from the alarm store, for a resumed stream. */
    private readonly alarmEventsSince: (seq: number) => Promise<AlarmEvent[]>,
    limits: Partial<LiveLimits> = {},
    /** Tells the caller a client was dropped (for logs). */
    private readonly onDropped?: () => void,
  ) {
    this.limits = { ...DEFAULT_LIVE_LIMITS, ...limits };
    this.unsubscribe = hub.subscribe((event) => this.publish(event));
    this.keepalive = hub.clock.setInterval(
      () => this.broadcast(Buffer.from(": keepalive\n\n")),
      KEEPALIVE_MS,
    );
    this.keepalive.unref();
  }

  /** Why a new stream of this key is refused now, or null when it may open. */
  refusal(key: string): "per-key" | "total" | null {
    const why = this.closed
      ? "total"
      : (this.perKey.get(key) ?? 0) >= this.limits.maxClientsPerKey
        ? "per-key"
        : this.clients.size >= this.limits.maxClients
          ? "total"
          : null;
    if (why) this.refused++;
    return why;
  }

  /** Takes over the response: headers, the snapshot, missed alarms, then events until it ends. */
  open(res: ServerResponse, request: OpenStream): void {
    const client: Client = {
      res,
      key: request.key,
      snapshot: null,
      queue: [],
      resuming: true,
    };
    this.clients.add(client);
    this.perKey.set(client.key, (this.perKey.get(client.key) ?? 0) + 1);
    res.on("close", () => this.remove(client));
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const snapshot = this.snapshot();
    if (!res.write(snapshot.bytes)) {
      client.snapshot = snapshot;
      snapshot.holders.add(client);
      res.once("drain", () => this.snapshotTaken(client));
    }
    void this.resume(client, request.lastEventId, snapshot);
  }

  stats(): LiveStreamStats {
    return {
      clients: this.clients.size,
      dropped: this.dropped,
      refused: this.refused,
      peakBufferedBytes: this.peakBufferedBytes,
      snapshotsBuilt: this.snapshotsBuilt,
      pinnedSnapshotBytes: this.snapshots.reduce(
        (sum, s) => sum + (s.holders.size > 0 ? s.bytes.length : 0),
        0,
      ),
    };
  }

  /** Ends every stream (the server is stopping; EventSource reconnects to the next one). */
  close(): void {
    this.closed = true;
    this.hub.clock.clear(this.keepalive);
    this.unsubscribe();
    for (const client of [...this.clients]) {
      this.remove(client);
      client.res.end();
    }
  }

  /** The current snapshot as an SSE event: one Buffer for every client while the hub's is. */
  private snapshot(): Snapshot {
    const json = this.hub.snapshotJson();
    if (this.latest?.json === json) return this.latest;
    const event = `event: snapshot\nid: ${this.hub.eventId()}\nretry: ${RETRY_MS}\ndata: ${json}\n\n`;
    const snapshot: Snapshot = {
      json,
      id: Number(this.hub.eventId()),
      bytes: Buffer.from(event),
      holders: new Set(),
    };
    this.latest = snapshot;
    this.snapshotsBuilt++;
    this.snapshots.push(snapshot);
    this.keepSnapshotsWithinBudget();
    return snapshot;
  }

  private keepSnapshotsWithinBudget(): void {
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      if ((this.snapshots[i] as Snapshot).holders.size === 0 && this.snapshots[i] !== this.latest) {
        this.snapshots.splice(i, 1);
      }
    }
    let held = this.snapshots.reduce((sum, s) => sum + s.bytes.length, 0);
    while (held > this.limits.snapshotBudgetBytes && this.snapshots[0] !== this.latest) {
      const oldest = this.snapshots.shift() as Snapshot;
      held -= oldest.bytes.length;
      for (const client of [...oldest.holders]) this.drop(client);
    }
  }

  private snapshotTaken(client: Client): void {
    const snapshot = client.snapshot;
    if (!snapshot) return;
    client.snapshot = null;
    snapshot.holders.delete(client);
    if (!client.resuming) this.flushQueue(client);
  }

  /** Sends the alarm events missed since the client's Last-Event-ID, then what was queued. */
  private async resume(client: Client, lastEventId: string | undefined, snapshot: Snapshot) {
    const resumeFrom = parseEventId(lastEventId);
    if (resumeFrom !== null && resumeFrom < this.hub.alarmSeq) {
      const upTo = snapshot.id;
      const missed: Buffer[] = [];
      try {
        for (const event of await this.alarmEventsSince(resumeFrom)) {
          if (event.seq > upTo) break; // later ones are queued already
          missed.push(alarmBytes(event));
        }
      } catch (error) {
        log.error("could not read missed alarm events for a live client", error as Error);
      }
      if (!this.clients.has(client)) return;
      // After a long absence the snapshot's open alarms say enough: a storm is not replayed.
      if (missed.length <= MAX_RESUMED_ALARMS) client.queue = [...missed, ...(client.queue ?? [])];
    }
    client.resuming = false;
    if (!client.snapshot) this.flushQueue(client);
  }

  private flushQueue(client: Client): void {
    const queue = client.queue;
    if (!queue || !this.clients.has(client)) return;
    client.queue = null;
    for (const bytes of queue) client.res.write(bytes);
  }

  private publish(event: LiveEvent): void {
    if (event.type === "closing") {
      this.close();
      return;
    }
    if (this.clients.size === 0) return;
    const bytes =
      event.type === "alarm"
        ? alarmBytes(event.event)
        : Buffer.from(`event: update\nid: ${this.hub.eventId()}\ndata: ${event.json()}\n\n`);
    this.broadcast(bytes);
  }

  private broadcast(bytes: Buffer): void {
    for (const client of [...this.clients]) {
      if (client.queue) {
        if (client.queue.length >= this.limits.maxQueuedEvents) this.drop(client);
        else client.queue.push(bytes);
        continue;
      }
      if (client.res.writableLength > this.limits.maxBufferedBytes) {
        this.drop(client);
        continue;
      }
      client.res.write(bytes);
      const unsent = client.res.writableLength;
      if (unsent > this.peakBufferedBytes) this.peakBufferedBytes = unsent;
    }
  }

  private drop(client: Client): void {
    if (!this.clients.has(client)) return;
    this.remove(client);
    this.dropped++;
    this.onDropped?.();
    client.res.destroy();
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    const left = (this.perKey.get(client.key) ?? 1) - 1;
    if (left > 0) this.perKey.set(client.key, left);
    else this.perKey.delete(client.key);
    client.snapshot?.holders.delete(client);
    client.snapshot = null;
    client.queue = null;
  }
}

function alarmBytes(event: AlarmEvent): Buffer {
  const data = JSON.stringify(alarmEventJson(event));
  return Buffer.from(`event: alarm\nid: ${event.seq}\ndata: ${data}\n\n`);
}

/** The alarm sequence number in a Last-Event-ID, or null when there is none or it is not ours. */
export function parseEventId(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}
