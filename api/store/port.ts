// The storage port: everything the app needs from a store of readings, and nothing more.
// DuckDB (local default) and Timestream (cloud) implement it; routes never know which one runs.

import type { QueryRunner } from "../queries/runner.ts";
import type { ReadingStatus, RejectionReason } from "../readings/schema.ts";
import type { RegisteredTurbine } from "../registry/port.ts";
import { DependencyUnavailableError } from "../time/deadline.ts";

/** A reading as stored: its identity is (turbine_id, time). */
export interface Reading {
  turbine_id: string;
  /** Epoch milliseconds, UTC. */
  time: number;
  power_kw: number;
  wind_speed_ms: number;
  status: ReadingStatus | null;
  /** The turbine's own SCADA status code, when it sends one. */
  status_code: number | null;
  /** 1 unless the sender deliberately corrects a stored reading with a higher version. */
  version: number;
  /** More numeric channels by name ({} when none); see api/readings/measures.ts. */
  measures: Record<string, number>;
  tags: Record<string, string>;
}

/**
 * A reading the store itself refused for a reason of its own (Timestream's limits), passed on
 * to the client word for word so that the sender can act on it.
 */
export interface StoreRejection {
  reason: "store_rejected";
  detail: string;
}

/** What became of one reading of a write, at the same index. */
export type WriteOutcome = "accepted" | "duplicate" | RejectionReason | StoreRejection;

/** How far back and ahead of now the store takes writes. */
export interface WriteWindow {
  maxAgeMs: number;
  maxFutureMs: number;
}

// The query layer owns what a query runs on and gives back; stores run its queries.
export type { QueryDialect, QueryRow } from "../queries/runner.ts";

export interface ReadingStore extends QueryRunner {
  readonly writeWindow: WriteWindow;
  /**
   * Brings writeWindow up to date with the store's own (Timestream: the deployed table's memory
   * store retention, read with DescribeTable and cached), before the window is checked.
   */
  refreshWriteWindow?(): Promise<void>;
  /**
   * Stores the readings, all in one durable commit: when the promise resolves, every
   * `accepted` reading survives a crash. Outcomes come back in input order.
   * Throws StoreUnavailableError when the store cannot be reached; nothing is then acknowledged.
   * `turbines` holds the registry entries of the readings' turbines (the ingest route always
   * passes them; unregistered turbines are absent): cloud stores write their dimensions
   * (api/registry/dimensions.ts) on each record, the embedded store joins its `turbines` table.
   */
  write(
    readings: Reading[],
    now: number,
    turbines?: ReadonlyMap<string, RegisteredTurbine>,
  ): Promise<WriteOutcome[]>;
  /**
   * The measure names that have a column in `tableRef` (schema on write: a name gets its column
   * the first time it is stored). Queries that name optional measures check here first.
   */
  measureColumns(): Promise<ReadonlySet<string>>;
  /** Resolves once the store answers; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /**
   * Throws StoreUnavailableError at once when the store already knows it cannot serve (its file
   * or log gone, a stalled disk), without a query: /healthz asks on every request, between the
   * cached pings.
   */
  check?(): void;
  /** Acknowledged readings the store refused and set aside for an operator (embedded store). */
  readonly quarantinedReadings?: number;
  close(): Promise<void>;
}

/**
 * The write would give the store more distinct measure names than it holds (MAX_MEASURE_COLUMNS),
 * or one turbine more new names than it may bring (MAX_NEW_MEASURES_PER_TURBINE, `turbine` set):
 * nothing of the request is stored; the route answers 422.
 */
export class MeasureLimitError extends Error {
  constructor(
    readonly newNames: readonly string[],
    readonly limit: number,
    readonly turbine?: { turbineId: string; brought: number },
  ) {
    const listed = `${newNames.slice(0, 5).join(", ")}${newNames.length > 5 ? ", ..." : ""}`;
    super(
      turbine
        ? `turbine "${turbine.turbineId}" may bring at most ${limit} measure names of its own to this store and has brought ${turbine.brought}; this request would add ${newNames.length} more (${listed}); nothing was stored. Send its channels under the names other turbines already use, or fewer channels (one turbine cannot use up the fleet's names)`
        : `this store holds at most ${limit} distinct measure names and this request would add ${newNames.length} more (${listed}); nothing was stored. Send these channels under names already in use, or fewer channels`,
    );
    this.name = "MeasureLimitError";
  }
}

/** The store cannot take or serve data now; the client should retry after `retryAfterSeconds`. */
export class StoreUnavailableError extends DependencyUnavailableError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(message, retryAfterSeconds);
    this.name = "StoreUnavailableError";
  }
}
