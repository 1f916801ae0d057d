// What a query runs on: a store's dialect, its table and its select. The stores (api/store) are
// runners; the query layer renders for a runner and reads its rows without knowing the store.

/** A query dialect the query layer renders for (InfluxDB: InfluxQL, influxql.ts). */
export type QueryDialect = "duckdb" | "timestream" | "influxdb";

/**
 * A row from `select`: column name to a JS value. Timestamps come back as epoch milliseconds,
 * numbers as numbers, missing values as null, so that both stores answer alike.
 */
export type QueryRow = Record<string, string | number | boolean | null>;

export interface QueryRunner {
  readonly kind: QueryDialect;
  /** The table to name in rendered queries, already quoted for the dialect. */
  readonly tableRef: string;
  /** Runs one query rendered by api/queries for this store's dialect. */
  select(sql: string): Promise<QueryRow[]>;
}
