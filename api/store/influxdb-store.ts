// The InfluxDB store: readings as line protocol on the v1 `/write`, every query as InfluxQL on
// the v1 `/query` (influxdb-client.ts), so it runs on Amazon Timestream for InfluxDB, InfluxDB 3
// and a self-hosted 1.x alike.
//
// InfluxDB has no notion of gust's identity: a second point with the same series (measurement +
// tags) and time overwrites the first, merging fields, and a `version` field does not make
// points unique. So, as the Timestream store does, one query looks up the stored readings that
// share an identity with the request's, and the contract's rules (identity.ts) classify each.
//
// Concurrency. Within one process, a write holds its identities (KeyedLock) from the lookup
// until its points are written, so two racing requests on one reading are classified in turn:
// the second sees the first's reading (duplicate, conflict or a higher version). Across
// processes (several Lambda containers, several servers) nothing is held: two different
// readings for one identity arriving at the same instant in two processes may both be
// "accepted" and the later write wins. An identical resend is harmless everywhere (the same
// point overwrites itself). InfluxDB offers no conditional write to close that gap.

import { answerInfluxQuery } from "../queries/influxql.ts";
import type { ReadingStatus } from "../readings/schema.ts";
import { turbineDimensions } from "../registry/dimensions.ts";
import type { RegisteredTurbine } from "../registry/port.ts";
import { currentDeadline } from "./deadline.ts";
import {
  classifyReadings,
  type KnownReading,
  readingIdentity,
  storedByIdentity,
  timeSpan,
} from "./identity.ts";
import {
  type InfluxDbClient,
  InfluxDbError,
  influxIdentifier,
  influxString,
  seriesRows,
} from "./influxdb-client.ts";
import { encodePoint, pointTags, READING_FIELDS } from "./influxdb-line-protocol.ts";
import { KeyedLock } from "./keyed-lock.ts";
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

/** A stored reading and the tags of the series it lives in (a correction must reuse them). */
interface StoredPoint {
  reading: Reading;
  tags: Record<string, string>;
  /** Field names the stored point carries (an overwrite keeps any it does not repeat). */
  fields: Set<string>;
}

export class InfluxDbStore implements ReadingStore {
  readonly kind = "influxdb" as const;
  readonly tableRef: string;
  readonly writeWindow: WriteWindow;
  readonly measurement: string;
  private readonly retry: RetryPolicy;
  private readonly budgetMs: number;
  private readonly locks = new KeyedLock();
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
    const release = await this.locks.acquire(readings.map(readingIdentity));
    try {
      return await this.writeHeld(readings, turbines);
    } finally {
      release();
    }
  }

  private async writeHeld(
    readings: Reading[],
    turbines: ReadonlyMap<string, RegisteredTurbine> | undefined,
  ): Promise<WriteOutcome[]> {
    const deadline = currentDeadline(this.budgetMs);
    const stored = await this.lookUpStored(readings, deadline);
    const known = new Map<string, KnownReading>();
    const sentTags = new Map(readings.map((r) => [readingIdentity(r), r.tags] as const));
    for (const [identity, point] of stored) {
      // A registered turbine's points carry the registry's dimensions, not the sender's tags:
      // those cannot tell a duplicate from a conflict then, so they are not compared.
      const registered = turbines?.has(point.reading.turbine_id) === true;
      const reading = registered
        ? { ...point.reading, tags: sentTags.get(identity) ?? {} }
        : point.reading;
      known.set(identity, { reading, stored: true, changed: false });
    }
    const outcomes = classifyReadings(readings, known);
    const lines: string[] = [];
    const replaced: StoredPoint[] = [];
    for (const [identity, entry] of known) {
      if (!entry.changed) continue;
      const previous = stored.get(identity);
      // A correction keeps the stored point's tags: the same series and time overwrite it,
      // so queries see exactly one reading per identity.
      const tags =
        previous?.tags ?? pointTags(entry.reading, dimensionsOf(entry.reading, turbines));
      lines.push(encodePoint(this.measurement, tags, entry.reading));
      if (previous && dropsFields(previous, entry.reading)) replaced.push(previous);
    }
    // An overwrite merges fields: a correction without a field the old point had (a status
    // code, a measure) would inherit it, so such old points go first. If the write then fails
    // the client gets a 503 and resends; the resend finds nothing stored and writes afresh.
    if (replaced.length > 0) await this.deletePoints(replaced, deadline);

    for (let start = 0; start < lines.length; start += POINTS_PER_WRITE) {
      const batch = lines.slice(start, start + POINTS_PER_WRITE);
      await withRetries("InfluxDB write", deadline, this.retry, (signal) =>
        this.options.client.write(batch, signal),
      );
    }
    return outcomes;
  }

  /** Stored readings sharing an identity with `readings`, in one query over their time span. */
  private async lookUpStored(
    readings: Reading[],
    deadline: number,
  ): Promise<Map<string, StoredPoint>> {
    const turbines = [...new Set(readings.map((r) => r.turbine_id))];
    const { earliest, latest } = timeSpan(readings);
    const [series = []] = await withRetries("InfluxDB query", deadline, this.retry, (signal) =>
      this.options.client.query(
        [
          `SELECT * FROM ${this.tableRef}`,
          `WHERE time >= ${earliest}ms AND time <= ${latest}ms`,
          // One anchored regex, not an OR per turbine: on influxd 1.6 a 500-turbine lookup takes
          // 14 ms this way and 240 ms as ORs (measured).
          `AND "turbine_id" =~ ${exactlyOneOf(turbines)}`,
          "GROUP BY *",
        ].join(" "),
        signal,
      ),
    );
    const points = series.flatMap((one) =>
      seriesRows([{ ...one, tags: {} }]).map((row) => storedPoint(row, one.tags)),
    );
    return storedByIdentity(readings, points);
  }

  /**
   * InfluxQL DELETE is InfluxDB 1.x's; the 2.x and 3.x v1 APIs refuse it. There the correction
   * is still written, and the fields it dropped stay as they were (said once in the log).
   */
  private async deletePoints(points: StoredPoint[], deadline: number): Promise<void> {
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

  private async deletePointsOnce(points: StoredPoint[], deadline: number): Promise<void> {
    // By identity (turbine and time), whatever series the old point lives in.
    const statements = points.map(
      ({ reading }) =>
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

/** An InfluxQL regex literal matching exactly these strings. */
export function exactlyOneOf(values: readonly string[]): string {
  const escaped = values.map((value) => value.replace(/[\\^$.|?*+()[\]{}/-]/g, (c) => `\\${c}`));
  return `/^(?:${escaped.join("|")})$/`;
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

/** A row of `SELECT * ... GROUP BY *` (fields as columns, tags of its series) as a reading. */
function storedPoint(row: QueryRow, tags: Record<string, string>): StoredPoint {
  const fields = new Set<string>();
  const measures: Record<string, number> = {};
  for (const [name, value] of Object.entries(row)) {
    if (name === "time" || value === null) continue;
    fields.add(name);
    if (!READING_FIELDS.includes(name) && typeof value === "number") measures[name] = value;
  }
  // GROUP BY * names every tag key of the measurement; a series without one has it empty.
  const own = Object.fromEntries(Object.entries(tags).filter(([, value]) => value !== ""));
  const { turbine_id, ...dimensions } = own;
  const status = row.status === "" || row.status === null ? null : (row.status as ReadingStatus);
  const reading = {
    turbine_id: String(turbine_id),
    time: Number(row.time),
    power_kw: Number(row.power_kw),
    wind_speed_ms: Number(row.wind_speed_ms),
    status,
    status_code: row.status_code == null ? null : Number(row.status_code),
    version: Number(row.version ?? 1),
    measures,
    tags: dimensions,
  } as Reading;
  return { reading, tags: own, fields };
}

/** True when overwriting `stored` with `next` would leave one of the stored fields behind. */
function dropsFields(stored: StoredPoint, next: Reading): boolean {
  const kept = next as Reading & { status_code?: number | null; measures?: Record<string, number> };
  for (const field of stored.fields) {
    if (
      field === "status_code"
        ? kept.status_code == null
        : !READING_FIELDS.includes(field) && !(field in (kept.measures ?? {}))
    )
      return true;
  }
  return false;
}
