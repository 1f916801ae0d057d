// The Parquet writer on DuckDB (the local server's; see parquet.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ParquetWriter } from "./parquet.ts";

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function duckDbParquetWriter(): ParquetWriter {
  return {
    async write(columns, rows) {
      for (const { name } of columns) {
        if (!COLUMN_NAME.test(name)) throw new RangeError(`not a column name: ${name}`);
      }
      const dir = mkdtempSync(join(tmpdir(), "gust-parquet-"));
      const instance = await DuckDBInstance.create(":memory:");
      const connection = await instance.connect();
      try {
        const definition = columns.map((c) => `"${c.name}" ${c.type}`).join(", ");
        await connection.run(`CREATE TABLE export (${definition})`);
        if (rows.length > 0) {
          const input = join(dir, "rows.json");
          writeFileSync(
            input,
            rows
              .map((row) =>
                JSON.stringify(
                  Object.fromEntries(
                    columns.map(({ name }) => [
                      name,
                      (row as Record<string, unknown>)[name] ?? null,
                    ]),
                  ),
                ),
              )
              .join("\n"),
          );
          const types = columns.map((c) => `"${c.name}": '${c.type}'`).join(", ");
          await connection.run(
            `INSERT INTO export SELECT * FROM read_json('${input}', format = 'newline_delimited', columns = {${types}})`,
          );
        }
        const output = join(dir, "export.parquet");
        await connection.run(`COPY export TO '${output}' (FORMAT parquet, COMPRESSION zstd)`);
        return new Uint8Array(readFileSync(output));
      } finally {
        connection.closeSync();
        instance.closeSync();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
