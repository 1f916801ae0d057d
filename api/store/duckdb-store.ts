// The embedded store: one DuckDB file, the default everywhere but Lambda.
//
// Writes from concurrent requests are grouped into shared commits (group commit): while one
// commit runs, new requests queue up and go together in the next one. A request's promise
// resolves only after the commit that holds its readings has returned, so a 200 is durable.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  BIGINT,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  listValue,
  TIMESTAMP,
  timestampValue,
  VARCHAR,
} from "@duckdb/node-api";
import type { ReadingStatus } from "../readings/schema.ts";
import { classifyReadings, type KnownReading, readingIdentity } from "./identity.ts";
import {
  type QueryRow,
  type Reading,
  type ReadingStore,
  StoreUnavailableError,
  type WriteOutcome,
  type WriteWindow,
} from "./port.ts";

export const DUCKDB_TABLE = "readings";

// Column names and order follow the Timestream data model: dimensions (turbine_id, tags), the
// time, and the measures of one multi-measure record. `tags` holds the other dimensions as a
// JSON object (query them as tags->>'province'): a MAP column inserts ten times slower.
// There is no PRIMARY KEY: identity is enforced by `commit` below, which is safe because DuckDB
// lets one process write a file and this store serializes its commits; the index would cost
// 40% of insert speed and memory in proportion to the table.
const CREATE_READINGS_TABLE = `
  CREATE TABLE IF NOT EXISTS ${DUCKDB_TABLE} (
    turbine_id    VARCHAR   NOT NULL,
    time          TIMESTAMP NOT NULL,
    power_kw      DOUBLE    NOT NULL,
    wind_speed_ms DOUBLE    NOT NULL,
    status        VARCHAR,
    version       BIGINT    NOT NULL,
    tags          JSON      NOT NULL
  )`;

/** Groups up to this size take the appender; larger ones the JSON insert (see insert). */
const SMALL_GROUP = 256;
// The readings table's columns as the appender fills them (tags go in as JSON text).
const READINGS_COLUMN_TYPES = [VARCHAR, TIMESTAMP, DOUBLE, DOUBLE, VARCHAR, BIGINT, VARCHAR];

// Readings (as api/store/port.ts shapes them) in one JSON array, inserted in one statement.
const INSERT_READINGS_JSON = `
  INSERT INTO ${DUCKDB_TABLE}
  SELECT r.turbine_id, make_timestamp_ms(r.time), r.power_kw, r.wind_speed_ms, r.status,
         r.version, r.tags
    FROM (SELECT unnest(from_json($readings::VARCHAR, '[{"turbine_id":"VARCHAR","time":"BIGINT",
          "power_kw":"DOUBLE","wind_speed_ms":"DOUBLE","status":"VARCHAR","version":"BIGINT",
          "tags":"JSON"}]')) AS r)`;

// The identities bound as two parallel lists ($ids, $times), as a table to join against.
const IDENTITY_LIST =
  "SELECT unnest($ids::VARCHAR[]) AS turbine_id, epoch_ms(unnest($times::BIGINT[])) AS time";

interface PendingWrite {
  readings: Reading[];
  resolve: (outcomes: WriteOutcome[]) => void;
  reject: (error: Error) => void;
}

export interface DuckDbStoreOptions {
  /** The database file; created with its directory when missing. */
  path: string;
  writeWindow: WriteWindow;
}

export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<DuckDbStore> {
  mkdirSync(dirname(options.path), { recursive: true });
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(options.path);
  } catch (error) {
    throw new Error(
      `cannot open the DuckDB file ${options.path}: ${(error as Error).message}. ` +
        "Only one process may write a DuckDB file: stop the other gust server, or set DATA_DIR.",
    );
  }
  const writer = await instance.connect();
  const reader = await instance.connect();
  await writer.run(CREATE_READINGS_TABLE);
  const store = new DuckDbStore(instance, writer, reader, options.writeWindow);
  await store.loadLatestTimes();
  return store;
}

export class DuckDbStore implements ReadingStore {
  readonly kind = "duckdb" as const;
  readonly tableRef = DUCKDB_TABLE;
  private pending: PendingWrite[] = [];
  private draining = false;
  private closed = false;
  /**
   * Per turbine, the latest stored time. This process is the file's only writer, so a reading
   * newer than that cannot exist yet and needs no lookup: the common case of turbines reporting
   * forward in time commits without reading the table at all.
   */
  private readonly latestTime = new Map<string, number>();

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    readonly writeWindow: WriteWindow,
  ) {}

  async loadLatestTimes(): Promise<void> {
    const result = await this.reader.runAndReadAll(
      `SELECT turbine_id, epoch_ms(max(time)) AS latest FROM ${DUCKDB_TABLE} GROUP BY turbine_id`,
    );
    for (const [turbineId, latest] of result.getRows()) {
      this.latestTime.set(String(turbineId), Number(latest));
    }
  }

  write(readings: Reading[]): Promise<WriteOutcome[]> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("the store is closing"));
    if (readings.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ readings, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the requests that arrive in this turn of the event loop join the first commit.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      try {
        const outcomes = await this.commit(group.flatMap((write) => write.readings));
        let offset = 0;
        for (const write of group) {
          write.resolve(outcomes.slice(offset, offset + write.readings.length));
          offset += write.readings.length;
        }
      } catch (error) {
        const unavailable = new StoreUnavailableError(
          `the embedded store could not commit: ${(error as Error).message}`,
        );
        for (const write of group) write.reject(unavailable);
      }
    }
    this.draining = false;
  }

  /** Classifies and stores one group of readings in a single transaction. */
  private async commit(readings: Reading[]): Promise<WriteOutcome[]> {
    const known = await this.lookUpStored(readings);
    const outcomes = classifyReadings(readings, known);

    const toStore = [...known.values()].filter((entry) => entry.changed);
    if (toStore.length === 0) return outcomes;
    const replaced = toStore.filter((entry) => entry.stored).map((entry) => entry.reading);
    if (replaced.length === 0) {
      // One statement is one transaction of its own.
      await this.insert(toStore.map((entry) => entry.reading));
    } else {
      await this.writer.run("BEGIN TRANSACTION");
      try {
        await this.writer.run(
          `DELETE FROM ${DUCKDB_TABLE} r USING (${IDENTITY_LIST}) k
            WHERE r.turbine_id = k.turbine_id AND r.time = k.time`,
          identityLists(replaced),
        );
        await this.insert(toStore.map((entry) => entry.reading));
        await this.writer.run("COMMIT");
      } catch (error) {
        await this.writer.run("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
    for (const { reading } of toStore) {
      if (reading.time > (this.latestTime.get(reading.turbine_id) ?? Number.NEGATIVE_INFINITY)) {
        this.latestTime.set(reading.turbine_id, reading.time);
      }
    }
    return outcomes;
  }

  /** The stored readings that share an identity with one of `readings`, keyed by identity. */
  private async lookUpStored(readings: Reading[]): Promise<Map<string, KnownReading>> {
    const known = new Map<string, KnownReading>();
    const candidates = readings.filter(
      (reading) =>
        reading.time <= (this.latestTime.get(reading.turbine_id) ?? Number.NEGATIVE_INFINITY),
    );
    if (candidates.length === 0) return known;
    let earliest = Number.POSITIVE_INFINITY;
    let latest = Number.NEGATIVE_INFINITY;
    for (const { time } of candidates) {
      earliest = Math.min(earliest, time);
      latest = Math.max(latest, time);
    }
    // The time range lets DuckDB skip row groups by their min/max (zone maps) before the join.
    const result = await this.writer.runAndReadAll(
      `SELECT r.turbine_id, epoch_ms(r.time) AS time, r.power_kw, r.wind_speed_ms, r.status,
              r.version, CAST(r.tags AS VARCHAR) AS tags_json
         FROM ${DUCKDB_TABLE} r
         JOIN (${IDENTITY_LIST}) k
           ON r.turbine_id = k.turbine_id AND r.time = k.time
        WHERE r.time BETWEEN epoch_ms($earliest::BIGINT) AND epoch_ms($latest::BIGINT)`,
      { ...identityLists(candidates), earliest, latest },
    );
    for (const row of result.getRowObjectsJS()) {
      const reading: Reading = {
        turbine_id: String(row.turbine_id),
        time: Number(row.time),
        power_kw: Number(row.power_kw),
        wind_speed_ms: Number(row.wind_speed_ms),
        status: (row.status as ReadingStatus | null) ?? null,
        version: Number(row.version),
        tags: JSON.parse(String(row.tags_json)) as Record<string, string>,
      };
      known.set(readingIdentity(reading), { reading, stored: true, changed: false });
    }
    return known;
  }

  // The readings go to DuckDB as one JSON text that it parses and inserts on its own thread:
  // the event loop stays free to take the next requests while the commit runs, which row or
  // chunk appends (synchronous calls on this thread) do not allow.
  private async insert(readings: Reading[]): Promise<void> {
    if (readings.length <= SMALL_GROUP) {
      await this.append(readings);
      return;
    }
    await this.writer.run(INSERT_READINGS_JSON, { readings: JSON.stringify(readings) });
  }

  // Small groups (single readings from many turbines) go through the appender: its synchronous
  // flush is shorter than planning an INSERT, and it blocks the event loop only briefly.
  private async append(readings: Reading[]): Promise<void> {
    const appender = await this.writer.createAppender(DUCKDB_TABLE);
    const chunk = DuckDBDataChunk.create(READINGS_COLUMN_TYPES, readings.length);
    chunk.setColumnValues(
      0,
      readings.map((r) => r.turbine_id),
    );
    chunk.setColumnValues(
      1,
      readings.map((r) => timestampValue(BigInt(r.time) * 1000n)),
    );
    chunk.setColumnValues(
      2,
      readings.map((r) => r.power_kw),
    );
    chunk.setColumnValues(
      3,
      readings.map((r) => r.wind_speed_ms),
    );
    chunk.setColumnValues(
      4,
      readings.map((r) => r.status),
    );
    chunk.setColumnValues(
      5,
      readings.map((r) => BigInt(r.version)),
    );
    chunk.setColumnValues(
      6,
      readings.map((r) => JSON.stringify(r.tags)),
    );
    appender.appendDataChunk(chunk);
    appender.closeSync();
  }

  async select(sql: string): Promise<QueryRow[]> {
    let rows: Record<string, unknown>[];
    try {
      rows = (await this.reader.runAndReadAll(sql)).getRowObjectsJS();
    } catch (error) {
      throw new StoreUnavailableError(`the embedded store could not query: ${errorText(error)}`);
    }
    return rows.map(toQueryRow);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError("the store is closing");
    await this.select("SELECT 1 AS ok");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.draining) await new Promise((resolve) => setTimeout(resolve, 5));
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

function identityLists(readings: Reading[]): Record<string, ReturnType<typeof listValue>> {
  return {
    ids: listValue(readings.map((r) => r.turbine_id)),
    times: listValue(readings.map((r) => BigInt(r.time))),
  };
}

/** DuckDB's JS values into the port's plain row shape (timestamps as epoch milliseconds). */
function toQueryRow(row: Record<string, unknown>): QueryRow {
  const out: QueryRow = {};
  for (const [column, value] of Object.entries(row)) {
    if (value === null || value === undefined) out[column] = null;
    else if (value instanceof Date) out[column] = value.getTime();
    else if (typeof value === "bigint") out[column] = Number(value);
    else if (typeof value === "number" || typeof value === "string" || typeof value === "boolean")
      out[column] = value;
    else out[column] = JSON.stringify(value);
  }
  return out;
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}
