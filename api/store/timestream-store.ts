// The cloud store: Amazon Timestream for LiveAnalytics, one multi-measure record per reading.
//
// No read before a write: Timestream's own write rules are the contract's (identity = every
// dimension + time + measure name, the reading's version as the record's Version), so each
// reading is written and Timestream's answer classifies it. An identical record is a no-op
// (answered `accepted`: a resend across requests is counted as accepted here, not as a
// duplicate); a different value at the same or a lower version is rejected with ExistingVersion
// (`conflict`); a higher version replaces (`accepted`). Within one request the contract's rules
// (identity.ts) still tell duplicates and conflicts apart exactly. A record Timestream rejects for
// another reason (its retention window, its limits) is mapped back to its reading by the
// documented fields, never by the wording of the reason. docs/aws.md, "What the counts mean".
//
// One exception reads: a correction (a version above 1, sent deliberately and rarely) must carry
// the stored record's dimensions to replace it, and the turbine's description (its dimensions)
// may have changed since; one query finds them. Plain readings never query.

import type { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import {
  DescribeTableCommand,
  type Dimension,
  type RejectedRecord,
  RejectedRecordsException,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from "@aws-sdk/client-timestream-write";
import { readingFromRow } from "../queries/readings.ts";
import { sqlString, sqlTime } from "../queries/sql.ts";
import type { RegisteredTurbine } from "../registry/port.ts";
import { type Clock, systemClock, timeoutSignal } from "../time/clock.ts";
import { currentDeadline } from "../time/deadline.ts";
import { classifyReadings, readingIdentity, storedByIdentity, timeSpan } from "./identity.ts";
import type { QueryRow, Reading, ReadingStore, WriteOutcome, WriteWindow } from "./port.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from "./retry.ts";
import { runTimestreamQuery } from "./timestream-query.ts";
import {
  COMMON_ATTRIBUTES,
  MEASURE_NAME,
  recordChunks,
  registryDimensions,
  storedDimensions,
} from "./timestream-records.ts";

// The reading's own values in a record; every other MULTI attribute is a measure.
const OWN_MEASURES = new Set(["power_kw", "wind_speed_ms", "status", "status_code", "version"]);

export interface TimestreamStoreOptions {
  database: string;
  table: string;
  writeClient: TimestreamWriteClient;
  queryClient: TimestreamQueryClient;
  /** The configured window; its age is narrowed to the table's memory retention when shorter. */
  writeWindow: WriteWindow;
  /** How long the table's retention, once read, is trusted (default an hour). */
  retentionCacheMs?: number;
  /** Deadlines, retries' waits and the retention's age follow this clock (default the machine's). */
  clock?: Clock;
  retry?: RetryPolicy;
  /** Time a request may spend on retries when no Lambda deadline is set. */
  budgetMs?: number;
}

/** How Timestream says a query names a column that no record has written yet (a 400). */
const MISSING_COLUMN = /Column '([^']+)' does not exist/;
/** At most this many optional columns are replaced by NULL in one query before giving up. */
const MAX_MISSING_COLUMNS = 64;
/**
 * A rejected record without ExistingVersion whose time is this close to (or beyond) the write
 * window's edge was rejected for its time: Timestream's clock runs a little after the app's check.
 */
const WINDOW_EDGE_MS = 60_000;

export class TimestreamStore implements ReadingStore {
  readonly kind = "timestream" as const;
  readonly tableRef: string;
  writeWindow: WriteWindow;
  private readonly retry: RetryPolicy;
  private retentionReadAt = Number.NEGATIVE_INFINITY;
  private readonly budgetMs: number;
  private readonly clock: Clock;
  /** Measure names this container has written (DESCRIBE may lag behind a fresh write). */
  private readonly writtenMeasures = new Set<string>();

  constructor(private readonly options: TimestreamStoreOptions) {
    this.tableRef = `"${options.database}"."${options.table}"`;
    this.writeWindow = options.writeWindow;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.budgetMs = options.budgetMs ?? 10_000;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * The deployed table's memory store retention (DescribeTable, once an hour a container: the
   * API allows 5 Describe calls a second per account): Timestream refuses older records, so the
   * window's age is at most that, and readings beyond it are answered too_old, not
   * store_rejected. If the table cannot be described, the configured window stays.
   */
  async refreshWriteWindow(): Promise<void> {
    const now = this.clock.now();
    if (now - this.retentionReadAt < (this.options.retentionCacheMs ?? 3_600_000)) return;
    this.retentionReadAt = now;
    const timeout = timeoutSignal(this.clock, 2_000);
    try {
      const { Table } = await this.options.writeClient.send(
        new DescribeTableCommand({
          DatabaseName: this.options.database,
          TableName: this.options.table,
        }),
        { abortSignal: timeout.signal },
      );
      const hours = Table?.RetentionProperties?.MemoryStoreRetentionPeriodInHours;
      if (hours === undefined || hours <= 0) return;
      this.writeWindow = {
        ...this.writeWindow,
        maxAgeMs: Math.min(this.options.writeWindow.maxAgeMs, hours * 3_600_000),
      };
    } catch (error) {
      console.warn(
        `gust: DescribeTable failed (${(error as Error).name}); the write window stays ${this.writeWindow.maxAgeMs / 3_600_000} h until the next try`,
      );
    } finally {
      timeout.clear();
    }
  }

  async write(
    readings: Reading[],
    now: number,
    turbines?: ReadonlyMap<string, RegisteredTurbine>,
  ): Promise<WriteOutcome[]> {
    if (readings.length === 0) return [];
    // Readings of one request meet each other by the contract's rules; stored ones are
    // Timestream's to judge.
    const outcomes = classifyReadings(readings, new Map());
    // Write each changed identity once, in its final (highest) version.
    const finalIndex = new Map<string, number>();
    readings.forEach((reading, i) => {
      if (outcomes[i] === "accepted") finalIndex.set(readingIdentity(reading), i);
    });
    const toWrite = [...finalIndex.values()].sort((a, b) => a - b);
    // A registered turbine's record carries the registry's description as dimensions
    // (api/registry); a correction replaces the stored record only with the same dimensions.
    const corrections = toWrite.map((i) => readings[i] as Reading).filter((r) => r.version > 1);
    const stored = corrections.length > 0 ? await this.storedDimensions(corrections) : new Map();
    const override = new Map<number, Dimension[]>();
    for (const i of toWrite) {
      const reading = readings[i] as Reading;
      const turbine = turbines?.get(reading.turbine_id);
      const dimensions =
        stored.get(readingIdentity(reading)) ?? (turbine ? registryDimensions(turbine) : undefined);
      if (dimensions) override.set(i, dimensions);
      for (const name in reading.measures) this.writtenMeasures.add(name);
    }
    const deadline = currentDeadline(this.budgetMs, this.clock.now);
    await Promise.all(
      recordChunks(readings, toWrite, override).map(async (chunk) => {
        try {
          await withRetries(
            "Timestream WriteRecords",
            deadline,
            this.retry,
            (abortSignal) =>
              this.options.writeClient.send(
                new WriteRecordsCommand({
                  DatabaseName: this.options.database,
                  TableName: this.options.table,
                  CommonAttributes: {
                    ...COMMON_ATTRIBUTES,
                    ...(chunk.commonDimensions ? { Dimensions: chunk.commonDimensions } : {}),
                  },
                  Records: chunk.records,
                }),
                { abortSignal },
              ),
            { clock: this.clock },
          );
        } catch (error) {
          if (!(error instanceof RejectedRecordsException)) throw error;
          // Records not named as rejected were written: Timestream rejects record by record.
          for (const rejected of error.RejectedRecords ?? []) {
            const index = chunk.indexes[rejected.RecordIndex ?? -1];
            if (index === undefined) continue;
            const outcome = rejectionOutcome(
              rejected,
              readings[index] as Reading,
              this.writeWindow,
              now,
            );
            // Every reading that shared the identity (and so this record) shares its fate.
            const identity = readingIdentity(readings[index] as Reading);
            readings.forEach((reading, i) => {
              if (outcomes[i] === "accepted" && readingIdentity(reading) === identity)
                outcomes[i] = outcome;
            });
          }
        }
      }),
    );
    return outcomes;
  }

  /**
   * The dimensions the stored records sharing an identity with `readings` were written with, in
   * one query bounded to each turbine's own time span (Timestream bills the data a query scans).
   */
  private async storedDimensions(readings: Reading[]): Promise<Map<string, Dimension[]>> {
    const byTurbine = new Map<string, Reading[]>();
    for (const reading of readings) {
      const list = byTurbine.get(reading.turbine_id);
      if (list) list.push(reading);
      else byTurbine.set(reading.turbine_id, [reading]);
    }
    const spans = [...byTurbine].map(([turbine, own]) => {
      const { earliest, latest } = timeSpan(own);
      return `(turbine_id = ${sqlString(turbine)} AND time BETWEEN ${sqlTime("timestream", earliest)} AND ${sqlTime("timestream", latest)})`;
    });
    const rows = await this.select(
      [
        `SELECT *, to_milliseconds(time) AS time_ms FROM ${this.tableRef}`,
        `WHERE measure_name = ${sqlString(MEASURE_NAME)}`,
        `  AND (${spans.join("\n    OR ")})`,
      ].join("\n"),
    );
    const found = rows.map((row) => ({
      reading: { ...readingFromRow(row), time: Number(row.time_ms) } as Reading,
      row,
    }));
    const dimensions = new Map<string, Dimension[]>();
    for (const [identity, { row }] of storedByIdentity(readings, found))
      dimensions.set(identity, storedDimensions(row));
    return dimensions;
  }

  /**
   * The measures the table has a column for: DESCRIBE's MULTI attributes that are not a reading's
   * own fields, with what this container wrote. Naming a column no record has written is a
   * ValidationException in Timestream, so queries of optional measures check here first.
   */
  async measureColumns(): Promise<ReadonlySet<string>> {
    const names = new Set(this.writtenMeasures);
    const rows = await this.select(`DESCRIBE ${this.tableRef}`);
    for (const row of rows) {
      const column = String(row.Column ?? "");
      const kind = String(row["Timestream attribute type"] ?? "");
      if (kind === "MULTI" && !OWN_MEASURES.has(column)) names.add(column);
    }
    return names;
  }

  /**
   * Runs a query. A column that no record has written yet (a fresh table, a tag or measure never
   * sent) is a ValidationException on Timestream where DuckDB answers NULL: an optional column
   * (quoted by api/queries/sql.ts) is then read as NULL, and a reading's own column (unquoted:
   * turbine_id, power_kw, ...) missing means no reading was ever stored, so the answer is empty.
   */
  async select(sql: string): Promise<QueryRow[]> {
    let text = sql;
    for (let replaced = 0; ; replaced++) {
      try {
        return await this.run(text);
      } catch (error) {
        const column = missingColumn(error);
        if (column === undefined || replaced >= MAX_MISSING_COLUMNS) throw error;
        const quoted = `"${column.replaceAll('"', '""')}"`;
        if (!text.includes(quoted)) return [];
        text = text.replaceAll(quoted, "NULL");
      }
    }
  }

  private run(sql: string): Promise<QueryRow[]> {
    return withRetries(
      "Timestream Query",
      currentDeadline(this.budgetMs, this.clock.now),
      this.retry,
      (abortSignal) => runTimestreamQuery(this.options.queryClient, sql, abortSignal),
      { clock: this.clock },
    );
  }

  async ping(): Promise<void> {
    await this.select(`SELECT 1 AS ok FROM ${this.tableRef} WHERE time > ago(1m) LIMIT 1`);
  }

  async close(): Promise<void> {
    this.options.writeClient.destroy();
    this.options.queryClient.destroy();
  }
}

/** The column a ValidationException says does not exist, if that is what it says. */
export function missingColumn(error: unknown): string | undefined {
  const e = error as { name?: string; message?: string };
  if (e.name !== "ValidationException") return undefined;
  return MISSING_COLUMN.exec(e.message ?? "")?.[1];
}

/**
 * A RejectedRecord as the contract's rejection, by its documented fields: ExistingVersion is set
 * exactly when a record with this identity is stored with other values or a version not lower
 * (a conflict); otherwise a time at or beyond the write window's edge was too old or too new;
 * anything else (a dimension or measure over Timestream's limits) is passed on with
 * Timestream's own reason.
 */
export function rejectionOutcome(
  rejected: RejectedRecord,
  reading: Reading,
  window: WriteWindow,
  now: number,
): WriteOutcome {
  if (rejected.ExistingVersion !== undefined && rejected.ExistingVersion !== null)
    return "conflict";
  if (reading.time < now - window.maxAgeMs + WINDOW_EDGE_MS) return "too_old";
  if (reading.time > now + window.maxFutureMs - WINDOW_EDGE_MS) return "too_new";
  return {
    reason: "store_rejected",
    detail: `Timestream refused this reading: ${(rejected.Reason ?? "no reason given").replace(/\.$/, "")}. Sending it again will not help; change what the reading carries.`,
  };
}
