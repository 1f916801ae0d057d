// Tables as Parquet, written by DuckDB (`COPY ... TO ... (FORMAT parquet)`), for analysts who load
// gust's answers into pandas, Polars, Arquero or DuckDB. Rows go, a page at a time, through a
// newline-delimited JSON file into a typed DuckDB table (in a database file of a private temp
// directory, so that DuckDB can spill and only one page is held in JS), which is copied to a
// Parquet file there and read back. Only where DuckDB runs (locally); the Lambda bundle has no
// DuckDB and answers Parquet requests with a 406 that says to ask for CSV. The writer itself is
// in duckdb-parquet.ts, which only the local server imports, so the Lambda bundle never holds it.

// TIMESTAMPTZ: DuckDB writes it as Parquet TIMESTAMP(MICROS, isAdjustedToUTC=true), which readers
// load as UTC instants; a plain TIMESTAMP would be isAdjustedToUTC=false, a wall-clock time.
export type ParquetType = "VARCHAR" | "DOUBLE" | "BIGINT" | "BOOLEAN" | "TIMESTAMPTZ";

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

/** Columns that count things (turbines, readings, a rank): whole numbers, stored as integers. */
const COUNT_COLUMNS = new Set(["turbines", "readings", "rank", "turbines_reporting"]);

/** An instant as gust writes it in JSON and CSV (toISOString). */
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Column types from the rows' values: instants (Dates, or UTC ISO strings in every row)
 * TIMESTAMPTZ, whole-number counts BIGINT, other numbers DOUBLE, booleans BOOLEAN, the rest VARCHAR.
 */
export function inferColumns(names: readonly string[], rows: readonly object[]): ParquetColumn[] {
  return names.map((name) => {
    const values = rows
      .map((row) => (row as Record<string, unknown>)[name])
      .filter((value) => value !== null && value !== undefined);
    const all = (test: (value: unknown) => boolean) => values.length > 0 && values.every(test);
    if (all((v) => v instanceof Date || (typeof v === "string" && UTC_INSTANT.test(v)))) {
      return { name, type: "TIMESTAMPTZ" };
    }
    if (COUNT_COLUMNS.has(name) && all((v) => typeof v === "number" && Number.isSafeInteger(v))) {
      return { name, type: "BIGINT" };
    }
    if (all((v) => typeof v === "number")) return { name, type: "DOUBLE" };
    if (all((v) => typeof v === "boolean")) return { name, type: "BOOLEAN" };
    return { name, type: "VARCHAR" };
  });
}
