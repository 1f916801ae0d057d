// The readings table in the DuckDB file, and the statements that write and look up readings.
import { type DuckDBConnection, listValue } from "@duckdb/node-api";
import type { ReadingStatus } from "../readings/schema.ts";
import { timeSpan } from "./identity.ts";
import type { Reading } from "./port.ts";

export const DUCKDB_TABLE = "readings";

// Column names and order follow the Timestream data model: dimensions (turbine_id, tags), the
// time, and the measures of one multi-measure record. `tags` holds the other dimensions as a
// JSON object (query them as tags->>'province'): a MAP column inserts ten times slower.
// There is no PRIMARY KEY: identity is enforced by the store (api/store/duckdb-store.ts), which
// is safe because DuckDB lets one process write a file and the store classifies every write in
// order; the index would cost 40% of insert speed and memory in proportion to the table.
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

// Readings (as api/store/port.ts shapes them) in one JSON array, inserted in one statement that
// DuckDB parses and runs on its own threads while the event loop takes the next requests.
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

export async function createReadingsTable(connection: DuckDBConnection): Promise<void> {
  await connection.run(CREATE_READINGS_TABLE);
}

/**
 * Inserts the readings of `readingsJson` (a JSON array of port readings) in one transaction,
 * after deleting the stored readings that `replaced` supersede.
 */
export async function insertReadings(
  connection: DuckDBConnection,
  readingsJson: string,
  replaced: readonly Reading[],
): Promise<void> {
  if (replaced.length === 0) {
    // One statement is one transaction of its own.
    await connection.run(INSERT_READINGS_JSON, { readings: readingsJson });
    return;
  }
  await connection.run("BEGIN TRANSACTION");
  try {
    await connection.run(
      `DELETE FROM ${DUCKDB_TABLE} r USING (${IDENTITY_LIST}) k
        WHERE r.turbine_id = k.turbine_id AND r.time = k.time`,
      identityLists(replaced),
    );
    await connection.run(INSERT_READINGS_JSON, { readings: readingsJson });
    await connection.run("COMMIT");
  } catch (error) {
    await connection.run("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** The stored readings that share an identity with one of `readings`. */
export async function lookUpReadings(
  connection: DuckDBConnection,
  readings: readonly Reading[],
): Promise<Reading[]> {
  const { earliest, latest } = timeSpan(readings);
  // The time range lets DuckDB skip row groups by their min/max (zone maps) before the join.
  const result = await connection.runAndReadAll(
    `SELECT r.turbine_id, epoch_ms(r.time) AS time, r.power_kw, r.wind_speed_ms, r.status,
            r.version, CAST(r.tags AS VARCHAR) AS tags_json
       FROM ${DUCKDB_TABLE} r
       JOIN (${IDENTITY_LIST}) k
         ON r.turbine_id = k.turbine_id AND r.time = k.time
      WHERE r.time BETWEEN epoch_ms($earliest::BIGINT) AND epoch_ms($latest::BIGINT)`,
    { ...identityLists(readings), earliest, latest },
  );
  return result.getRowObjectsJS().map((row) => ({
    turbine_id: String(row.turbine_id),
    time: Number(row.time),
    power_kw: Number(row.power_kw),
    wind_speed_ms: Number(row.wind_speed_ms),
    status: (row.status as ReadingStatus | null) ?? null,
    version: Number(row.version),
    tags: JSON.parse(String(row.tags_json)) as Record<string, string>,
  }));
}

/** Per turbine, the latest stored time (epoch ms). */
export async function latestReadingTimes(
  connection: DuckDBConnection,
): Promise<Map<string, number>> {
  const result = await connection.runAndReadAll(
    `SELECT turbine_id, epoch_ms(max(time)) AS latest FROM ${DUCKDB_TABLE} GROUP BY turbine_id`,
  );
  return new Map(result.getRows().map(([id, latest]) => [String(id), Number(latest)]));
}

function identityLists(readings: readonly Reading[]): Record<string, ReturnType<typeof listValue>> {
  return {
    ids: listValue(readings.map((r) => r.turbine_id)),
    times: listValue(readings.map((r) => BigInt(r.time))),
  };
}
