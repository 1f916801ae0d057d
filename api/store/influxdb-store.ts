// The InfluxDB store: readings as line protocol on the v1 `/write`, every query as InfluxQL on
// the v1 `/query` (influxdb-client.ts), so it runs on Amazon Timestream for InfluxDB, InfluxDB 3
// and a self-hosted 1.x alike.
//
// No read before a write: InfluxDB's own rule decides. A point with the same series (measurement
// + tags) and time as a stored one overwrites it, merging fields, and nothing in InfluxDB makes
// a write conditional. So every reading inside the write window is written and answered
// `accepted`: across requests, a resend is counted as accepted (it overwrites itself with the
// same values), and a different reading for a stored identity, whatever its version, replaces
// the stored one (the last write wins; there is no `conflict` across requests here). Within one
// request the contract's rules (identity.ts) still tell duplicates and conflicts apart and write
// each identity once, in its highest version. A correction (version above 1) first deletes the
// stored point by turbine and time, so that a field it drops does not survive the merge (on
// InfluxDB 1.x; 2.x and 3.x refuse DELETE, and the dropped field keeps its old value there).
// docs/aws.md, "What the counts mean".

import { answerInfluxQuery } from "../queries/influxql.ts";
import { turbineDimensions } from "../registry/dimensions.ts";
import type { RegisteredTurbine } from "../registry/port.ts";
import { currentDeadline } from "../time/deadline.ts";
import { classifyReadings, type KnownReading } from "./identity.ts";
import {
  type InfluxDbClient,
  InfluxDbError,
  influxIdentifier,
  influxString,
  seriesRows,
} from "./influxdb-client.ts";
import { encodePoint, pointTags, READING_FIELDS } from "./influxdb-line-protocol.ts";
import type { QueryRow, Reading, ReadingStore, WriteOutcome, WriteWindow } from "./port.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from "./retry.ts";

/** Points per /write request: InfluxData's advice is batches of about 5,000 lines. */
export const POINTS_PER_WRITE = 5_000;

export interface InfluxDbStoreOptions {
  client: InfluxDbClient;
  /** The InfluxDB measurement (table) readings go to. */
  measurement?: string;
  writeWindow: WriteWindow;
  retry?: RetryPolicy;
  /** Time a request may spend on retries when no Lambda deadline is set. */
  budgetMs?: number;
}

export class InfluxDbStore implements ReadingStore {
  readonly kind = "influxdb" as const;
  readonly tableRef: string;
  readonly writeWindow: WriteWindow;
  readonly measurement: string;
  private readonly retry: RetryPolicy;
  private readonly budgetMs: number;
  private warnedNoDelete = false;

  constructor(private readonly options: InfluxDbStoreOptions) {
    this.measurement = options.measurement ?? "readings";
    this.tableRef = influxIdentifier(this.measurement);
    this.writeWindow = options.writeWindow;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.budgetMs = options.budgetMs ?? 10_000;
  }

  async write(
    readings: Reading[],
    _now: number,
    turbines?: ReadonlyMap<string, RegisteredTurbine>,
  ): Promise<WriteOutcome[]> {
    if (readings.length === 0) return [];
    const deadline = currentDeadline(this.budgetMs);
    const known = new Map<string, KnownReading>();
    const outcomes = classifyReadings(readings, known);
    const lines: string[] = [];
    const corrections: Reading[] = [];
    for (const { reading } of known.values()) {
      lines.push(
        encodePoint(this.measurement, pointTags(reading, dimensionsOf(reading, turbines)), reading),
      );
      if (reading.version > 1) corrections.push(reading);
    }
    if (corrections.length > 0) await this.deletePoints(corrections, deadline);
    for (let start = 0; start < lines.length; start += POINTS_PER_WRITE) {
      const batch = lines.slice(start, start + POINTS_PER_WRITE);
      await withRetries("InfluxDB write", deadline, this.retry, (signal) =>
        this.options.client.write(batch, signal),
      );
    }
    return outcomes;
  }

  /**
   * InfluxQL DELETE is InfluxDB 1.x's; the 2.x and 3.x v1 APIs refuse it. There the correction
   * is still written, and the fields it dropped stay as they were (said once in the log).
   */
  private async deletePoints(points: Reading[], deadline: number): Promise<void> {
    try {
      await this.deletePointsOnce(points, deadline);
    } catch (error) {
      if (!(error instanceof InfluxDbError) || error.retryable) throw error;
      if (!this.warnedNoDelete) {
        this.warnedNoDelete = true;
        console.warn(
          `gust: InfluxDB refused DELETE (${error.message}); corrections that drop a status code or a measure keep the old value there (docs/aws.md, "The InfluxDB store")`,
        );
      }
    }
  }

  private async deletePointsOnce(points: Reading[], deadline: number): Promise<void> {
    // By identity (turbine and time), whatever series the old point lives in.
    const statements = points.map(
      (reading) =>
        `DELETE FROM ${this.tableRef} WHERE "turbine_id" = ${influxString(reading.turbine_id)} AND time = ${reading.time}ms`,
    );
    await withRetries("InfluxDB delete", deadline, this.retry, (signal) =>
      this.options.client.query(statements.join("; "), signal),
    );
  }

  /**
   * Runs one query rendered by api/queries for the "influxdb" dialect: InfluxQL, headed by a
   * comment naming how gust finishes the answer (influxql.ts), since InfluxQL has no joins,
   * windows or expressions in GROUP BY.
   */
  async select(query: string): Promise<QueryRow[]> {
    return answerInfluxQuery(query, (influxql) =>
      withRetries("InfluxDB query", currentDeadline(this.budgetMs), this.retry, (signal) =>
        this.options.client.query(influxql, signal),
      ),
    );
  }

  /** The measure columns stored so far: every field that is not one of a reading's own. */
  async measureColumns(): Promise<ReadonlySet<string>> {
    const [series = []] = await withRetries(
      "InfluxDB query",
      currentDeadline(this.budgetMs),
      this.retry,
      (signal) => this.options.client.query(`SHOW FIELD KEYS FROM ${this.tableRef}`, signal),
    );
    const names = new Set<string>();
    for (const row of seriesRows(series)) {
      const name = String(row.fieldKey);
      if (!READING_FIELDS.includes(name)) names.add(name);
    }
    return names;
  }

  async ping(): Promise<void> {
    await withRetries("InfluxDB ping", currentDeadline(this.budgetMs), this.retry, (signal) =>
      this.options.client.query("SHOW MEASUREMENTS LIMIT 1", signal),
    );
  }

  async close(): Promise<void> {
    await this.options.client.close();
  }
}

/**
 * The tags a new point gets beside turbine_id: the registry's dimensions of its turbine
 * (project, model, its tags), or, for a turbine the registry does not know, the reading's tags.
 */
function dimensionsOf(
  reading: Reading,
  turbines: ReadonlyMap<string, RegisteredTurbine> | undefined,
): Record<string, string> {
  const turbine = turbines?.get(reading.turbine_id);
  return turbine ? turbineDimensions(turbine) : (reading.tags ?? {});
}
