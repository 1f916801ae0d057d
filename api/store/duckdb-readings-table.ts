// The readings in the DuckDB file: how they are laid out, written and looked up.
//
//   turbine_keys   turbine_id <-> a small integer key (one row per turbine)
//   reading_rows   one row per reading, keyed by turbine_key and time; the reading's fields and
//                  one DOUBLE column per measure name, added the first time the name is stored
//                  (schema on write)
//   readings       a view joining the two: turbine_id, time, power_kw, wind_speed_ms, status,
//                  status_code, version, tags and the measure columns, the relation every query
//                  names (store.tableRef)
//
// Rows go in as columnar data chunks through DuckDB's appender, about a third of the cost of an
// INSERT of JSON (docs/adr/002-keyed-readings-one-column-per-measure.md). The compact key keeps
// repeated strings out of the row. The chunks are built in duckdb-readings-chunk.ts.
// There is no PRIMARY KEY on reading_rows: identity is enforced by the store
// (api/store/duckdb-store.ts), the only writer of the file, which classifies every write in order;
// an index would cost 40% of insert speed and memory in proportion to the table.
import { type DuckDBConnection, listValue } from "@duckdb/node-api";
import { READING_COLUMNS } from "../readings/fields.ts";
import { READING_STATUSES } from "../readings/limits.ts";
import { MEASURE_NAME_PATTERN } from "../readings/measures.ts";
import type { ReadingStatus } from "../readings/schema.ts";
import type { TurbineFromReadings } from "../registry/from-reading-tags.ts";
import { BASE_COLUMNS, CHUNK_ROWS, ReadingsChunks } from "./duckdb-readings-chunk.ts";
import { timeSpan } from "./identity.ts";
import type { Reading } from "./port.ts";

export const DUCKDB_TABLE = "readings";
const ROWS = "reading_rows";
const KEYS = "turbine_keys";

const BASE_NAMES: ReadonlySet<string> = new Set(BASE_COLUMNS.map(([name]) => name));
/**
 * The status column's type, written as DuckDB writes it in duckdb_columns(): the same ENUM as the
 * chunks' (duckdb-readings-chunk.ts), so that the appender copies the byte without a cast, and
 * the COMMIT and its checkpoints keep no string, dictionary or string statistics for the column
 * (docs/adr/004-statuses-stored-as-one-byte.md). A file whose column is still VARCHAR is
 * converted when it is opened.
 */
const STATUS_LITERALS = READING_STATUSES.map((status) => `'${status}'`).join(", ");
export const STATUS_TYPE = `ENUM(${STATUS_LITERALS})`;
const CREATE_TABLES = [
  `CREATE TABLE IF NOT EXISTS ${KEYS} (
     turbine_key INTEGER PRIMARY KEY,
     turbine_id  VARCHAR NOT NULL UNIQUE
   )`,
  `CREATE TABLE IF NOT EXISTS ${ROWS} (
     turbine_key   INTEGER   NOT NULL,
     time          TIMESTAMP NOT NULL,
     power_kw      DOUBLE    NOT NULL,
     wind_speed_ms DOUBLE    NOT NULL,
     status        ${STATUS_TYPE},
     status_code   INTEGER,
     version       BIGINT    NOT NULL,
     tags          VARCHAR
   )`,
  // r.* picks up measure columns as they are added; tags read as JSON ({} when none); status
  // reads as text, as it did before it was an ENUM, so that every query and export sees the
  // types it always saw. Replaced on every open: a file may hold an earlier release's view.
  `CREATE OR REPLACE VIEW ${DUCKDB_TABLE} AS
     SELECT k.turbine_id, r.* EXCLUDE (turbine_key, tags) REPLACE (CAST(r.status AS VARCHAR) AS status),
            CAST(coalesce(r.tags, '{}') AS JSON) AS tags
       FROM ${ROWS} r JOIN ${KEYS} k USING (turbine_key)`,
];

/** What a migration of the file's layout did, for `npm run serve` to say. */
export interface LayoutMigration {
  from: string;
  readings: number;
  turbines: number;
  /** Per turbine, its latest per-reading tags and highest power: what the registry gets. */
  fromReadings: Map<string, TurbineFromReadings>;
}

/**
 * What opening did to the status column of a file from a release that stored it as text:
 * converted it (`readings` rows), or kept it as text because it holds values the ENUM lacks
 * (`kept`, why). The store works with either; the ENUM writes faster.
 */
export type StatusConversion = { readings: number } | { kept: string };

/**
 * The readings' tables in one DuckDB file, and what this process knows of them: the turbine keys
 * and the measure columns. Writes go through `applyReadings`, one at a time (the store serializes
 * them), so this in-memory picture stays the file's.
 */
export class ReadingsTables {
  private readonly chunks = new ReadingsChunks();

  private constructor(
    private readonly turbineKeys: Map<string, number>,
    private readonly measures: string[],
    readonly migration: LayoutMigration | null,
    readonly statusConversion: StatusConversion | null,
  ) {}

  /** Opens (creating or migrating) the tables of the file behind `connection`. */
  static async open(connection: DuckDBConnection): Promise<ReadingsTables> {
    const migration = await migrateReadingsTable(connection);
    for (const statement of CREATE_TABLES) await connection.run(statement);
    const statusConversion = await convertStatusToEnum(connection);
    const keys = await connection.runAndReadAll(`SELECT turbine_id, turbine_key FROM ${KEYS}`);
    const turbineKeys = new Map(keys.getRows().map(([id, key]) => [String(id), Number(key)]));
    const columns = await connection.runAndReadAll(
      `SELECT column_name FROM duckdb_columns() WHERE table_name = '${ROWS}' ORDER BY column_index`,
    );
    const measures = columns
      .getRows()
      .map(([name]) => String(name))
      .filter((name) => !BASE_NAMES.has(name));
    return new ReadingsTables(turbineKeys, measures, migration, statusConversion);
  }

  /** The measure names that have a column, in table order. */
  measureColumns(): readonly string[] {
    return this.measures;
  }

  /**
   * Applies a batch of readings to the file, in one transaction: the turbine keys and measure
   * columns they need, the deletion of the stored readings that `replaced` supersede, then the
   * rows, appended as data chunks. Either all of it is in the file afterwards or none of it.
   */
  async applyReadings(
    connection: DuckDBConnection,
    readings: readonly Reading[],
    replaced: readonly Reading[],
  ): Promise<void> {
    if (readings.length === 0 && replaced.length === 0) return;
    const plan = this.plan(readings);
    await connection.run("BEGIN TRANSACTION");
    try {
      await this.stage(connection, plan, replaced);
      await connection.run("COMMIT");
    } catch (error) {
      await connection.run("ROLLBACK").catch(() => undefined);
      throw error;
    }
    this.committed(plan);
  }

  /** The turbine keys and measure columns a batch of readings needs that the file lacks. */
  plan(readings: readonly Reading[]): BatchPlan {
    const newKeys = new Map<string, number>();
    let nextKey = this.turbineKeys.size + 1;
    for (const { turbine_id } of readings) {
      if (!this.turbineKeys.has(turbine_id) && !newKeys.has(turbine_id)) {
        newKeys.set(turbine_id, nextKey++);
      }
    }
    const known = new Set(this.measures);
    const newMeasures: string[] = [];
    for (const reading of readings) {
      for (const name in reading.measures) {
        if (!known.has(name)) {
          known.add(name);
          newMeasures.push(name);
        }
      }
    }
    return { readings, newKeys, newMeasures };
  }

  /**
   * Puts a planned batch into the transaction open on `connection` without ending it (see
   * applyReadings). A batch that needs no new keys or columns only appends rows, which DuckDB
   * lets several transactions do side by side; once the caller's COMMIT succeeds, `committed`
   * makes the new keys and columns part of this picture.
   */
  async stage(
    connection: DuckDBConnection,
    plan: BatchPlan,
    replaced: readonly Reading[],
  ): Promise<void> {
    const { readings, newKeys, newMeasures } = plan;
    const keyOf = (id: string) => (this.turbineKeys.get(id) ?? newKeys.get(id)) as number;
    const measures = [...this.measures, ...newMeasures];
    if (newKeys.size > 0) {
      await connection.run(
        `INSERT INTO ${KEYS} SELECT unnest($keys::INTEGER[]), unnest($ids::VARCHAR[])`,
        { keys: listValue([...newKeys.values()]), ids: listValue([...newKeys.keys()]) },
      );
    }
    for (const name of newMeasures) {
      await connection.run(`ALTER TABLE ${ROWS} ADD COLUMN ${measureColumn(name)} DOUBLE`);
    }
    if (replaced.length > 0) {
      await connection.run(
        `DELETE FROM ${ROWS} r USING (${IDENTITY_LIST}) k
          WHERE r.turbine_key = k.turbine_key AND r.time = k.time`,
        {
          keys: listValue(replaced.map((r) => this.turbineKeys.get(r.turbine_id) ?? -1)),
          times: listValue(replaced.map((r) => BigInt(r.time))),
        },
      );
    }
    // An appender is bound to the table's columns at creation: one per batch, after the ALTERs.
    const appender = await connection.createAppender(ROWS);
    try {
      for (let start = 0; start < readings.length; start += CHUNK_ROWS) {
        const end = Math.min(start + CHUNK_ROWS, readings.length);
        appender.appendDataChunk(this.chunks.chunk(readings, start, end, keyOf, measures));
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /**
   * Adds a column for each of these measure names, one at a time. The store does this before a
   * group that brings new names is staged or logged, with no other transaction of its own open,
   * so that the batches themselves only ever append rows. Answers the names the file refused
   * (a name no check let through): the readings that carry them then fail on their own, where
   * the store sets them aside. A failure that says nothing about the name is thrown.
   */
  async addMeasureColumns(
    connection: DuckDBConnection,
    names: readonly string[],
    isTransient: (error: unknown) => boolean,
  ): Promise<string[]> {
    const refused: string[] = [];
    for (const name of names) {
      try {
        await connection.run(`ALTER TABLE ${ROWS} ADD COLUMN ${measureColumn(name)} DOUBLE`);
        this.measures.push(name);
      } catch (error) {
        if (isTransient(error)) throw error;
        refused.push(name);
      }
    }
    return refused;
  }

  /** Makes a batch's new keys and columns part of this picture once its transaction commits. */
  committed(plan: BatchPlan): void {
    for (const [id, key] of plan.newKeys) this.turbineKeys.set(id, key);
    this.measures.push(...plan.newMeasures);
  }
}

/** A batch of readings and what it adds to the tables beyond rows. */
export interface BatchPlan {
  readings: readonly Reading[];
  newKeys: ReadonlyMap<string, number>;
  newMeasures: readonly string[];
}

/** Whether a planned batch only appends rows (it can then be staged beside others in flight). */
export function appendsRowsOnly(plan: BatchPlan): boolean {
  return plan.newKeys.size === 0 && plan.newMeasures.length === 0;
}

// The identities bound as two parallel lists ($keys, $times), as a table to join against.
const IDENTITY_LIST =
  "SELECT unnest($keys::INTEGER[]) AS turbine_key, epoch_ms(unnest($times::BIGINT[])) AS time";

/** A measure name as a column identifier (names are checked against the pattern first). */
function measureColumn(name: string): string {
  if (!MEASURE_NAME_PATTERN.test(name)) throw new RangeError(`not a measure name: ${name}`);
  return `"${name}"`;
}

/** The stored readings that share an identity with one of `readings`. */
export async function lookUpReadings(
  connection: DuckDBConnection,
  readings: readonly Reading[],
): Promise<Reading[]> {
  const { earliest, latest } = timeSpan(readings);
  // The time range lets DuckDB skip row groups by their min/max (zone maps) before the join.
  const result = await connection.runAndReadAll(
    `SELECT r.* EXCLUDE (time, tags), epoch_ms(r.time) AS time, CAST(r.tags AS VARCHAR) AS tags
       FROM ${DUCKDB_TABLE} r
       JOIN (SELECT unnest($ids::VARCHAR[]) AS turbine_id,
                    epoch_ms(unnest($times::BIGINT[])) AS time) k
         ON r.turbine_id = k.turbine_id AND r.time = k.time
      WHERE r.time BETWEEN epoch_ms($earliest::BIGINT) AND epoch_ms($latest::BIGINT)`,
    {
      ids: listValue(readings.map((r) => r.turbine_id)),
      times: listValue(readings.map((r) => BigInt(r.time))),
      earliest,
      latest,
    },
  );
  return result.getRowObjectsJS().map((row) => {
    const measures: Record<string, number> = {};
    for (const [name, value] of Object.entries(row)) {
      if (!VIEW_FIELDS.has(name) && value !== null) measures[name] = Number(value);
    }
    return {
      turbine_id: String(row.turbine_id),
      time: Number(row.time),
      power_kw: Number(row.power_kw),
      wind_speed_ms: Number(row.wind_speed_ms),
      status: (row.status as ReadingStatus | null) ?? null,
      status_code: row.status_code === null ? null : Number(row.status_code),
      version: Number(row.version),
      measures,
      tags: JSON.parse(String(row.tags)) as Record<string, string>,
    };
  });
}

const VIEW_FIELDS: ReadonlySet<string> = new Set([...READING_COLUMNS, "tags"]);

/** Per turbine, the latest stored time (epoch ms). */
export async function latestReadingTimes(
  connection: DuckDBConnection,
): Promise<Map<string, number>> {
  const result = await connection.runAndReadAll(
    `SELECT k.turbine_id, epoch_ms(max(r.time)) AS latest
       FROM ${ROWS} r JOIN ${KEYS} k USING (turbine_key) GROUP BY k.turbine_id`,
  );
  return new Map(result.getRows().map(([id, latest]) => [String(id), Number(latest)]));
}

/**
 * A file written by a release that kept reading_rows.status as VARCHAR gets the ENUM, in place
 * (10 million readings: 0.3 s). Returns null when the column is the ENUM already. Values outside
 * the reading statuses (which gust never wrote, but a hand-edited file may hold) fail the
 * conversion: the column then stays text, nothing lost, and the appender casts into it; `kept`
 * names those values and what to do about them.
 */
async function convertStatusToEnum(connection: DuckDBConnection): Promise<StatusConversion | null> {
  const found = await connection.runAndReadAll(
    `SELECT data_type FROM duckdb_columns()
      WHERE table_name = '${ROWS}' AND column_name = 'status'`,
  );
  if (found.getRows()[0]?.[0] === STATUS_TYPE) return null;
  const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${ROWS}`);
  const readings = Number(counted.getRows()[0]?.[0] ?? 0);
  await connection.run("BEGIN TRANSACTION");
  try {
    await connection.run(`ALTER TABLE ${ROWS} ALTER status SET DATA TYPE ${STATUS_TYPE}`);
    await connection.run("COMMIT");
    return { readings };
  } catch (error) {
    await connection.run("ROLLBACK").catch(() => undefined);
    // Nearly always statuses a hand-edited file holds; said so with what to do about them.
    const unknown = await unknownStatuses(connection).catch(() => []);
    if (unknown.length === 0) return { kept: (error as Error).message };
    const values = unknown.map((status) => JSON.stringify(status)).join(", ");
    const are = unknown.length === 1 ? "is not a reading status" : "are not reading statuses";
    return {
      kept: `${ROWS}.status holds ${values}, which ${are} (${READING_STATUSES.join(", ")} or NULL); change or remove those readings (duckdb CLI, with gust stopped) and gust converts the column on its next start`,
    };
  }
}

/** The values of a text status column (at most five) that are not reading statuses. */
async function unknownStatuses(connection: DuckDBConnection): Promise<string[]> {
  const found = await connection.runAndReadAll(
    `SELECT DISTINCT status FROM ${ROWS} WHERE status NOT IN (${STATUS_LITERALS}) ORDER BY status LIMIT 5`,
  );
  return found.getRows().map(([status]) => String(status));
}

/**
 * A file written by gust before the wide reading (one `readings` table with a `tags` JSON column
 * on every row) is moved into the keyed layout in one transaction: every reading keeps its
 * values and its tags. Returns null when there was nothing to migrate.
 */
async function migrateReadingsTable(connection: DuckDBConnection): Promise<LayoutMigration | null> {
  const found = await connection.runAndReadAll(
    `SELECT table_type FROM information_schema.tables
      WHERE table_schema = 'main' AND table_name = '${DUCKDB_TABLE}'`,
  );
  if (found.getRows()[0]?.[0] !== "BASE TABLE") return null;
  const counts = await connection.runAndReadAll(
    `SELECT count(*), count(DISTINCT turbine_id) FROM ${DUCKDB_TABLE}`,
  );
  const [readings, turbines] = (counts.getRows()[0] ?? [0, 0]).map(Number) as [number, number];
  const latest = await connection.runAndReadAll(
    `SELECT turbine_id,
            CAST(arg_max(tags, time) FILTER (WHERE CAST(tags AS VARCHAR) <> '{}') AS VARCHAR),
            max(power_kw)
       FROM ${DUCKDB_TABLE} GROUP BY turbine_id`,
  );
  const fromReadings = new Map<string, TurbineFromReadings>(
    latest.getRows().map(([id, tags, power]) => [
      String(id),
      {
        tags: tags === null ? {} : (JSON.parse(String(tags)) as Record<string, string>),
        maxPowerKw: Number(power),
      },
    ]),
  );
  await connection.run("BEGIN TRANSACTION");
  try {
    await connection.run(`ALTER TABLE ${DUCKDB_TABLE} RENAME TO readings_before_migration`);
    for (const statement of CREATE_TABLES.slice(0, 2)) await connection.run(statement);
    await connection.run(
      `INSERT INTO ${KEYS}
       SELECT row_number() OVER (ORDER BY turbine_id), turbine_id
         FROM (SELECT DISTINCT turbine_id FROM readings_before_migration)`,
    );
    await connection.run(
      `INSERT INTO ${ROWS} (turbine_key, time, power_kw, wind_speed_ms, status, status_code, version, tags)
       SELECT k.turbine_key, o.time, o.power_kw, o.wind_speed_ms, o.status, NULL, o.version,
              CASE WHEN CAST(o.tags AS VARCHAR) = '{}' THEN NULL ELSE CAST(o.tags AS VARCHAR) END
         FROM readings_before_migration o JOIN ${KEYS} k USING (turbine_id)`,
    );
    await connection.run("DROP TABLE readings_before_migration");
    await connection.run(CREATE_TABLES[2] as string);
    await connection.run("COMMIT");
  } catch (error) {
    await connection.run("ROLLBACK").catch(() => undefined);
    throw new Error(
      `could not migrate the readings table to the keyed layout (nothing was changed): ${(error as Error).message}`,
    );
  }
  return { from: "one readings table with tags on every row", readings, turbines, fromReadings };
}
