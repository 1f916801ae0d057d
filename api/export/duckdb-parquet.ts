// The Parquet writer on DuckDB (the local server's; see parquet.ts).
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ParquetColumn, ParquetWriter } from "./parquet.ts";

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function duckDbParquetWriter(): ParquetWriter {
  return {
    async write(columns, rows) {
      const { path, remove } = await writeParquetFile(columns, once(rows));
      try {
        return new Uint8Array(await readFile(path));
      } finally {
        remove();
      }
    },
    async writePages(columns, pages) {
      const { path, remove } = await writeParquetFile(columns, pages);
      const file = createReadStream(path);
      file.once("close", remove);
      return Readable.toWeb(file) as ReadableStream<Uint8Array>;
    },
  };
}

async function* once(rows: readonly object[]): AsyncIterable<readonly object[]> {
  yield rows;
}

/** The pages as one Parquet file (zstd) in a private temp directory; `remove` deletes it. */
async function writeParquetFile(
  columns: readonly ParquetColumn[],
  pages: AsyncIterable<readonly object[]>,
): Promise<{ path: string; remove: () => void }> {
  for (const { name } of columns) {
    if (!COLUMN_NAME.test(name)) throw new RangeError(`not a column name: ${name}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "gust-parquet-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const instance = await DuckDBInstance.create(join(dir, "export.duckdb"));
    const connection = await instance.connect();
    try {
      const definition = columns.map((c) => `"${c.name}" ${c.type}`).join(", ");
      await connection.run(`CREATE TABLE export (${definition})`);
      const types = columns.map((c) => `"${c.name}": '${c.type}'`).join(", ");
      const input = join(dir, "page.json");
      for await (const rows of pages) {
        if (rows.length === 0) continue;
        writeFileSync(
          input,
          rows
            .map((row) =>
              JSON.stringify(
                Object.fromEntries(
                  columns.map(({ name }) => [name, (row as Record<string, unknown>)[name] ?? null]),
                ),
              ),
            )
            .join("\n"),
        );
        await connection.run(
          `INSERT INTO export SELECT * FROM read_json('${input}', format = 'newline_delimited', columns = {${types}})`,
        );
      }
      const output = join(dir, "export.parquet");
      await connection.run(`COPY export TO '${output}' (FORMAT parquet, COMPRESSION zstd)`);
      return { path: output, remove };
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } catch (error) {
    remove();
    throw error;
  }
}
