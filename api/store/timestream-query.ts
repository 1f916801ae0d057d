// Running a query on Timestream: every page (NextToken), each row parsed from ColumnInfo into
// the plain values the store port promises (timestamps as epoch ms, numbers, null).
import {
  type ColumnInfo,
  type Datum,
  QueryCommand,
  type TimestreamQueryClient,
} from "@aws-sdk/client-timestream-query";
import type { QueryRow } from "./port.ts";

/** Timestream's TIMESTAMP text, "2026-11-23 10:00:00.000000000", as epoch milliseconds (UTC). */
export function parseTimestamp(text: string): number {
  const [date, time = "00:00:00"] = text.split(" ");
  const [clock = "00:00:00", fraction = ""] = time.split(".");
  return Date.parse(`${date}T${clock}.${fraction.padEnd(3, "0").slice(0, 3)}Z`);
}

export function parseDatum(datum: Datum, column: ColumnInfo): QueryRow[string] {
  if (datum.NullValue) return null;
  const text = datum.ScalarValue;
  if (text === undefined)
    return JSON.stringify(datum.ArrayValue ?? datum.RowValue ?? datum.TimeSeriesValue ?? null);
  switch (column.Type?.ScalarType) {
    case "BIGINT":
    case "INTEGER":
    case "DOUBLE":
      return Number(text);
    case "BOOLEAN":
      return text === "true";
    case "TIMESTAMP":
      return parseTimestamp(text);
    default:
      return text;
  }
}

export async function runTimestreamQuery(
  client: TimestreamQueryClient,
  sql: string,
  abortSignal?: AbortSignal,
): Promise<QueryRow[]> {
  const rows: QueryRow[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new QueryCommand({ QueryString: sql, NextToken: nextToken }), {
      abortSignal,
    });
    const columns = page.ColumnInfo ?? [];
    for (const row of page.Rows ?? []) {
      const parsed: QueryRow = {};
      (row.Data ?? []).forEach((datum, i) => {
        const column = columns[i];
        if (column?.Name) parsed[column.Name] = parseDatum(datum, column);
      });
      rows.push(parsed);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return rows;
}
