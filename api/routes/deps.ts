// What every route needs from its surroundings; createApp (api/app.ts) hands it to each.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { TopLevelSpec } from "vega-lite";
import type { LastSeenStore } from "../alarms/last-seen.ts";
import type { AlarmQuery, AlarmRecord } from "../alarms/store.ts";
import type { ParquetWriter } from "../export/parquet.ts";
import type { AlarmEvent } from "../live/alarm.ts";
import type { LiveStreams } from "../live/stream.ts";
import type { ReadingRejection } from "../readings/rejection.ts";
import type { TurbineRegistry } from "../registry/port.ts";
import type { Reading, ReadingStore } from "../store/port.ts";
import type { Clock } from "../time/clock.ts";

export interface AppDeps {
  store: ReadingStore;
  /** The fleet registry: DuckDB locally, DynamoDB on Lambda. */
  registry: TurbineRegistry;
  /** REQUIRE_REGISTERED=true: readings of turbines not in the registry are refused (403). */
  requireRegistered?: boolean;
  /** Loads the key secret; called per request, so cache inside (Lambda fetches it once). */
  keySecret: () => Promise<string>;
  /** The one clock (api/time/clock.ts): "now" and timers; tests hand in their own. */
  clock: Clock;
  /**
   * Past the failed-key threshold an address's wrong keys are answered late ("delay", the
   * default: a server's waiting costs nothing), or at once with 429 and Retry-After ("refuse":
   * Lambda, where a sleeping invocation holds a reserved execution and is billed).
   */
  failedKeys?: "delay" | "refuse";
  /** Writes Parquet answers (format=parquet); absent where DuckDB does not run (Lambda). */
  parquet?: ParquetWriter;
  /** Draws a Vega-Lite chart as PNG (format=png); absent where resvg does not run (Lambda). */
  png?: (spec: TopLevelSpec) => Promise<Uint8Array>;
  /** Where swagger-ui-dist's files are; defaults to the installed package. */
  docsAssetsDir?: string;
  /**
   * The live feed (api/live): called after a 200 with the readings that were accepted. Locally a
   * push, never awaited; on Lambda the turbines' last-seen records (api/alarms/last-seen.ts), which
   * the answer waits for (a frozen container would never finish a write left running). A failure
   * is logged and swallowed: the live view must not fail ingest.
   */
  onReadingsStored?(readings: Reading[]): void | Promise<void>;
  /**
   * Readings of the same answer that were rejected (clock wrong, conflicts), for the alarms.
   * Locally a push to the engine; on Lambda a counter write (api/alarms/dynamodb-store.ts) that
   * the answer waits for, only when there are rejections, and whose failure it ignores (a frozen
   * container would never finish a write left running).
   */
  onReadingsRejected?(rejections: ReadingRejection[]): void | Promise<void>;
  /**
   * The live view (GET /v1/live, /v1/live/snapshot); absent: those answer 503/501. On Lambda it
   * has no hub: the snapshot comes from the store and /v1/live answers 501 (poll the snapshot).
   */
  live?: LiveDeps;
  /** Each turbine's last-seen record, kept by the write path (Lambda); absent: the store knows. */
  lastSeen?: Pick<LastSeenStore, "all">;
  /** Where alarms are kept (GET /v1/alarms); absent: that answers 503. */
  alarms?: { list(query: AlarmQuery): Promise<AlarmRecord[]> };
}

export interface LiveDeps {
  /** The in-process streams (Node); absent on Lambda, where the snapshot comes from the store. */
  streams?: LiveStreams;
  /** The snapshot as an object (Lambda) or as its JSON already (the local hub's shared copy). */
  snapshot(): Promise<unknown>;
  /** Alarm events after a sequence number, oldest first, for a resumed stream. */
  alarmEventsSince(seq: number): Promise<AlarmEvent[]>;
}

export type GustApp = OpenAPIHono;
