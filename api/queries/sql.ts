// The pieces of SQL that differ between the two stores. Every query the product runs is rendered
// through these, so one query text serves DuckDB (local) and Timestream (cloud).
//
//   DuckDB:     table "readings", time a TIMESTAMP; the registry in table "turbines", joined
//   Timestream: table "db"."table", the registry's fields as dimension columns ("province")
import type { QueryDialect, QueryRunner } from "./runner.ts";

/** Where a query runs: the dialect and the table, as the store names it. */
export interface QueryTarget {
  dialect: QueryDialect;
  tableRef: string;
}

export function queryTarget(store: Pick<QueryRunner, "kind" | "tableRef">): QueryTarget {
  return { dialect: store.kind, tableRef: store.tableRef };
}

/** A string literal; both dialects escape a quote by doubling it. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A timestamp literal for epoch milliseconds (UTC). */
export function sqlTime(dialect: QueryDialect, epochMs: number): string {
  if (!Number.isSafeInteger(epochMs))
    throw new RangeError(`not a time in milliseconds: ${epochMs}`);
  return dialect === "duckdb" ? `epoch_ms(${epochMs})` : `from_milliseconds(${epochMs})`;
}

/** A timestamp column as epoch milliseconds, so that rows compare alike across stores. */
export function sqlEpochMs(dialect: QueryDialect, column: string): string {
  return dialect === "duckdb" ? `epoch_ms(${column})` : `to_milliseconds(${column})`;
}

// Field names are checked against this before they reach SQL (the registry's tag rule).
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,59}$/;
// The registry's own columns of table `turbines`; any other field is one of its tags.
const REGISTRY_COLUMNS = new Set(["project", "model", "rated_kw", "latitude", "longitude"]);
const NUMERIC_FIELDS = new Set(["rated_kw", "latitude", "longitude"]);

function fieldName(name: string): string {
  if (!FIELD_NAME.test(name)) throw new RangeError(`not a turbine field: ${name}`);
  return name;
}

/**
 * The readings with what the registry says of their turbines (CONTRACTS item 4): DuckDB joins
 * the `turbines` table, flattened to the `fields` the query names, so that a tag is read from
 * its JSON once per turbine rather than once per reading; Timestream and InfluxDB read the
 * dimension the store wrote on each record (api/registry/dimensions.ts), so there is no join.
 */
export function sqlReadingsWith(target: QueryTarget, fields: readonly string[]): string {
  if (target.dialect !== "duckdb" || fields.length === 0) return target.tableRef;
  const columns = fields.map((name) =>
    REGISTRY_COLUMNS.has(fieldName(name))
      ? `${name} AS "${name}"`
      : `tags->>${sqlString(name)} AS "${name}"`,
  );
  return `${target.tableRef} LEFT JOIN (SELECT turbine_id, ${columns.join(", ")} FROM turbines) t USING (turbine_id)`;
}

/**
 * A turbine's registry field as a column of sqlReadingsWith: project, model, rated_kw,
 * latitude, longitude (numbers as DOUBLE), or a tag such as province; turbine_id as itself.
 */
export function sqlTurbineField(dialect: QueryDialect, name: string): string {
  if (name === "turbine_id") return "turbine_id";
  if (dialect === "duckdb") return `t."${fieldName(name)}"`;
  return NUMERIC_FIELDS.has(fieldName(name)) ? `CAST("${name}" AS DOUBLE)` : `"${name}"`;
}

/** The median of an expression (Timestream has only the approximate percentile). */
export function sqlMedian(dialect: QueryDialect, expression: string): string {
  return dialect === "duckdb" ? `median(${expression})` : `approx_percentile(${expression}, 0.5)`;
}

/** The time range condition every analysis query shares: from inclusive, to exclusive. */
export function sqlTimeRange(dialect: QueryDialect, from: number, to: number): string {
  return `time >= ${sqlTime(dialect, from)} AND time < ${sqlTime(dialect, to)}`;
}
