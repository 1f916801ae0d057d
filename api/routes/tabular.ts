// One answer, three formats: JSON (the route's own document), CSV (api/csv.ts, the one writer)
// and Parquet (api/export/parquet.ts, where DuckDB runs). Every tabular read route answers
// through here, so `format` means the same everywhere.

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { toCsv } from "../csv.ts";
import { inferColumns, PARQUET_MEDIA_TYPE } from "../export/parquet.ts";
import { problemResponse } from "../problem.ts";
import type { AppDeps } from "./deps.ts";

export const TABULAR_FORMATS = ["json", "csv", "parquet"] as const;
export type TabularFormat = (typeof TABULAR_FORMATS)[number];

export const FormatSchema = z.enum(TABULAR_FORMATS).default("json").openapi({
  description:
    "json (default), csv (RFC 4180, formula-safe, numbers to 12 significant digits), or parquet (Apache Parquet, zstd; times as UTC timestamps, counts as integers; load it with Polars, hyparquet or DuckDB; not on Lambda deployments).",
});

/** The 200 content of a route answering all three formats. */
export function tabularContent<T extends z.ZodType>(json: T) {
  return {
    "application/json": { schema: json },
    "text/csv": { schema: z.string() },
    [PARQUET_MEDIA_TYPE]: { schema: z.string().openapi({ format: "binary" }) },
  };
}

export async function tabularResponse(
  c: Context,
  deps: AppDeps,
  format: TabularFormat,
  table: { name: string; columns: readonly string[]; rows: readonly object[] },
  json: () => unknown,
): Promise<Response> {
  if (format === "csv") {
    return c.body(toCsv(table.columns, table.rows), 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${table.name}.csv"`,
    });
  }
  if (format === "parquet") {
    if (!deps.parquet) return parquetUnavailable();
    const bytes = await deps.parquet.write(inferColumns(table.columns, table.rows), table.rows);
    return c.body(bytes as unknown as ArrayBuffer, 200, {
      "content-type": PARQUET_MEDIA_TYPE,
      "content-disposition": `attachment; filename="${table.name}.parquet"`,
    });
  }
  return c.json(json() as object, 200);
}

/** The 406 where no Parquet (or PNG) writer runs (Lambda). */
export function parquetUnavailable(
  instead = "format=csv or format=json",
  what: "Parquet" | "PNG" = "Parquet",
): Response {
  const runs = what === "Parquet" ? "DuckDB runs" : "the chart renderer (resvg) runs";
  return problemResponse(
    406,
    `${what.toLowerCase()}-unavailable`,
    `${what} not available here`,
    `This deployment has no ${what} writer (${runs} only in the local server): ask for ${instead}.`,
  );
}
