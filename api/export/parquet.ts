// Tables as Parquet, written by DuckDB (`COPY ... TO ... (FORMAT parquet)`), for analysts who load
// gust's answers into pandas, Polars, Arquero or DuckDB. Rows go, a page at a time, through a
// newline-delimited JSON file into a typed DuckDB table (in a database file of a private temp
// directory, so that DuckDB can spill and only one page is held in JS), which is copied to a
// Parquet file there and read back. Only where DuckDB runs (locally); the Lambda bundle has no
// DuckDB and answers Parquet requests with a 406 that says to ask for CSV. The writer itself is
// in duckdb-parquet.ts, which only the local server imports, so the Lambda bundle never holds it.

export type ParquetType = "VARCHAR" | "DOUBLE" | "BIGINT" | "BOOLEAN" | "TIMESTAMP";

export interface ParquetColumn {
  name: string;
  type: ParquetType;
}

export interface ParquetWriter {
  /** A small table (an analysis answer), whole in memory. */
  write(columns: readonly ParquetColumn[], rows: readonly object[]): Promise<Uint8Array>;
  /**
   * A large table arriving in pages (the readings export): each page is stored as it comes, and
   * the Parquet file is streamed back from disk and deleted once read or cancelled.
   */
  writePages(
    columns: readonly ParquetColumn[],
    pages: AsyncIterable<readonly object[]>,
  ): Promise<ReadableStream<Uint8Array>>;
}

export const PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet";

/** Column types from the rows' values: numbers DOUBLE, booleans BOOLEAN, the rest VARCHAR. */
export function inferColumns(names: readonly string[], rows: readonly object[]): ParquetColumn[] {
  return names.map((name) => {
    for (const row of rows) {
      const value = (row as Record<string, unknown>)[name];
      if (value === null || value === undefined) continue;
      if (typeof value === "number") return { name, type: "DOUBLE" };
      if (typeof value === "boolean") return { name, type: "BOOLEAN" };
      return { name, type: "VARCHAR" };
    }
    return { name, type: "VARCHAR" };
  });
}
