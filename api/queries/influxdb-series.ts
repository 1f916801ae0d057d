// InfluxQL text and answers without the HTTP client: literals, identifiers, and series as rows.
// Kept apart from influxdb-client.ts so that rendering queries never loads undici.
import type { QueryRow } from "./runner.ts";

/** One series of an InfluxQL answer: its tags (from GROUP BY) and rows of columns. */
export interface InfluxSeries {
  name: string;
  tags: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/**
 * A statement's series as flat rows: every column by name, tags as string columns, `time` as
 * epoch milliseconds (the query asks for epoch=ms). An empty tag (a point without that tag,
 * grouped by it) is null, as a missing dimension is in the SQL stores.
 */
export function seriesRows(series: readonly InfluxSeries[]): QueryRow[] {
  const rows: QueryRow[] = [];
  for (const { tags, columns, values } of series) {
    for (const value of values) {
      const row: QueryRow = {};
      for (const [key, tag] of Object.entries(tags)) row[key] = tag === "" ? null : tag;
      columns.forEach((column, i) => {
        const cell = value[i];
        row[column] =
          cell === undefined || cell === null
            ? null
            : typeof cell === "number" || typeof cell === "string" || typeof cell === "boolean"
              ? cell
              : JSON.stringify(cell);
      });
      rows.push(row);
    }
  }
  return rows;
}

/** An InfluxQL string literal: single quotes, with quote and backslash escaped. */
export function influxString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** An InfluxQL identifier: double quotes, with quote and backslash escaped. */
export function influxIdentifier(name: string): string {
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
