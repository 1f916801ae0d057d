// The cloud store: Amazon Timestream for LiveAnalytics, one multi-measure record per reading.
//
// Answers match the embedded store's: before writing, one query fetches the stored readings
// that share an identity with the request's, and the contract's rules (identity.ts) classify
// each reading. Timestream alone would take an identical re-send silently, so without that query
// a duplicate could not be told from a new reading. Timestream still guards the truth: a record
// it rejects (a race with another writer, its retention window) is mapped back to its reading.

import type { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import {
  RejectedRecordsException,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from "@aws-sdk/client-timestream-write";
import { readingFromRow } from "../queries/readings.ts";
import { sqlString, sqlTime } from "../queries/sql.ts";
import { currentDeadline } from "./deadline.ts";
import { classifyReadings, type KnownReading, readingIdentity, timeSpan } from "./identity.ts";
import type { QueryRow, Reading, ReadingStore, WriteOutcome, WriteWindow } from "./port.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from "./retry.ts";
import { runTimestreamQuery } from "./timestream-query.ts";
import { COMMON_ATTRIBUTES, MEASURE_NAME, recordChunks } from "./timestream-records.ts";

export interface TimestreamStoreOptions {
  database: string;
  table: string;
  writeClient: TimestreamWriteClient;
  queryClient: TimestreamQueryClient;
  writeWindow: WriteWindow;
  retry?: RetryPolicy;
  /** Time a request may spend on retries when no Lambda deadline is set. */
  budgetMs?: number;
}

export class TimestreamStore implements ReadingStore {
  readonly kind = "timestream" as const;
  readonly tableRef: string;
  readonly writeWindow: WriteWindow;
  private readonly retry: RetryPolicy;
  private readonly budgetMs: number;

  constructor(private readonly options: TimestreamStoreOptions) {
    this.tableRef = `"${options.database}"."${options.table}"`;
    this.writeWindow = options.writeWindow;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.budgetMs = options.budgetMs ?? 10_000;
  }

  async write(readings: Reading[], now: number): Promise<WriteOutcome[]> {
    if (readings.length === 0) return [];
    const known = await this.lookUpStored(readings);
    const outcomes = classifyReadings(readings, known);
    // Write each changed identity once, in its final (highest) version.
    const finalIndex = new Map<string, number>();
    readings.forEach((reading, i) => {
      if (outcomes[i] === "accepted") finalIndex.set(readingIdentity(reading), i);
    });
    const toWrite = [...finalIndex.values()].sort((a, b) => a - b);
    const deadline = currentDeadline(this.budgetMs);
    await Promise.all(
      recordChunks(readings, toWrite).map(async (chunk) => {
        try {
          await withRetries("Timestream WriteRecords", deadline, this.retry, () =>
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
            ),
          );
        } catch (error) {
          if (!(error instanceof RejectedRecordsException)) throw error;
          // Records not named as rejected were written: Timestream rejects record by record.
          for (const rejected of error.RejectedRecords ?? []) {
            const index = chunk.indexes[rejected.RecordIndex ?? -1];
            if (index === undefined) continue;
            const outcome = rejectionOutcome(
              rejected.Reason ?? "",
              readings[index] as Reading,
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

  /** Stored readings sharing an identity with `readings`, in one query over their time span. */
  private async lookUpStored(readings: Reading[]): Promise<Map<string, KnownReading>> {
    const wanted = new Set(readings.map(readingIdentity));
    const turbines = [...new Set(readings.map((r) => r.turbine_id))];
    const { earliest, latest } = timeSpan(readings);
    const rows = await this.select(
      [
        `SELECT *, to_milliseconds(time) AS time_ms FROM ${this.tableRef}`,
        `WHERE measure_name = ${sqlString(MEASURE_NAME)}`,
        `  AND time BETWEEN ${sqlTime("timestream", earliest)} AND ${sqlTime("timestream", latest)}`,
        `  AND turbine_id IN (${turbines.map(sqlString).join(", ")})`,
      ].join("\n"),
    );
    const known = new Map<string, KnownReading>();
    for (const row of rows) {
      const stored = readingFromRow(row);
      const reading: Reading = { ...stored, time: Date.parse(stored.time) };
      const identity = readingIdentity(reading);
      if (wanted.has(identity)) known.set(identity, { reading, stored: true, changed: false });
    }
    return known;
  }

  async select(sql: string): Promise<QueryRow[]> {
    return withRetries("Timestream Query", currentDeadline(this.budgetMs), this.retry, () =>
      runTimestreamQuery(this.options.queryClient, sql),
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

/**
 * A RejectedRecord's reason as the contract's rejection. Timestream words them in prose; the
 * documented causes are a same-identity record with other values or a version not higher
 * (ExistingVersion set), and a time outside the memory store's retention.
 */
export function rejectionOutcome(reason: string, reading: Reading, now: number): WriteOutcome {
  if (/retention|time range|ingestion window|outside/i.test(reason)) {
    return reading.time > now ? "too_new" : "too_old";
  }
  if (/version|already exists|same dimensions|measure value/i.test(reason)) return "conflict";
  throw new Error(`Timestream rejected a record for a reason gust does not know: ${reason}`);
}
