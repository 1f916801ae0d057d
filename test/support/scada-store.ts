// A real DuckDB store file (the layout `npm run serve` and `npm run analyze` open: turbine_keys +
// reading_rows behind the `readings` view, and the `turbines` registry table) derived from a
// bare SCADA readings table (scada-duckdb.ts), for the report benchmark: the store's own code
// creates the file and registers the fleet (DuckDbRegistry.putMany, as PUT /v1/turbines does),
// then the readings are copied in with one INSERT ... SELECT. 9 M readings through the store's
// write path would take as long as building them; the copy takes seconds.
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openDuckDbRegistry } from "../../api/registry/duckdb-registry.ts";
import type { TurbineEntry } from "../../api/registry/port.ts";
import { DUCKDB_FILE_NAME, openDuckDbStore } from "../../api/store/duckdb-store.ts";
import { SCADA_MEASURES } from "./scada-duckdb.ts";

const WINDOW = { maxAgeMs: 10 * 365 * 86_400_000, maxFutureMs: 0 };

/**
 * Makes `dataDir`/gust.duckdb from the `readings` table of `sourceFile`, with `turbines` in its
 * registry; built under a temporary name and renamed, so an interrupted build is never reused.
 */
export async function deriveScadaStore(
  sourceFile: string,
  dataDir: string,
  turbines: readonly TurbineEntry[],
  measures: readonly string[] = SCADA_MEASURES,
): Promise<{ readings: number }> {
  const building = `${dataDir}.building`;
  rmSync(building, { recursive: true, force: true });
  const path = join(building, DUCKDB_FILE_NAME);
  // The store makes the layout (and the registry's table); its registry takes the fleet. All on
  // the store's own DuckDB instance: a second instance on the file would lose one's writes.
  const store = await openDuckDbStore({ path, writeWindow: WINDOW });
  const connection = await store.connect();
  let readings = 0;
  try {
    const registry = await openDuckDbRegistry(connection);
    await registry.putMany(turbines);
    await registry.close();
    await connection.run(`ATTACH '${sourceFile.replaceAll("'", "''")}' AS source (READ_ONLY)`);
    for (const name of measures) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new RangeError(`not a measure name: ${name}`);
      await connection.run(`ALTER TABLE reading_rows ADD COLUMN "${name}" DOUBLE`);
    }
    await connection.run(
      `INSERT INTO turbine_keys SELECT row_number() OVER (ORDER BY turbine_id), turbine_id
         FROM (SELECT DISTINCT turbine_id FROM source.readings)`,
    );
    // In the source's order (time by time, as the store appends), so that zone maps prune by time.
    const columns = measures.map((name) => `, r."${name}"`).join("");
    await connection.run(
      `INSERT INTO reading_rows
         SELECT k.turbine_key, r.time, r.power_kw, r.wind_speed_ms, r.status, r.status_code,
                r.version, NULL${columns}
           FROM source.readings r JOIN turbine_keys k USING (turbine_id)`,
    );
    await connection.run("CHECKPOINT");
    const [row] = (await connection.runAndReadAll("SELECT count(*) FROM readings")).getRows();
    await connection.run("DETACH source");
    readings = Number(row?.[0]);
  } finally {
    connection.closeSync();
    await store.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(building, dataDir);
  return { readings };
}
