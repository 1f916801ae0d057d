// GET /v1/readings/export: every stored reading of a period, all turbines, as CSV or Parquet, read
// page by page on every store (api/queries/export.ts) so that memory holds one page. Reader or
// operator key.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { toCsv } from "../csv.ts";
import { PARQUET_MEDIA_TYPE, type ParquetColumn, type ParquetType } from "../export/parquet.ts";
import { problemResponse } from "../problem.ts";
import { EXPORT_BASE_COLUMNS, exportPages, renderExportCountQuery } from "../queries/export.ts";
import { queryTarget } from "../queries/sql.ts";
import type { QueryRow } from "../store/port.ts";
import { authenticateFleetReader } from "./auth.ts";
import { busy, ConcurrencyLimit } from "./concurrency-limit.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";
import { QueryTimeSchema, queryRange } from "./query-params.ts";
import { parquetUnavailable } from "./tabular.ts";

/** The most readings one export holds: a longer period answers 422 and says to split it. */
export const MAX_EXPORT_READINGS = 1_000_000;
const PAGE = 20_000;
/** Exports running at once in this process; more answer 503 with Retry-After. */
export const MAX_CONCURRENT_EXPORTS = 2;
const EXPORTS_RETRY_AFTER_S = 5;
/**
 * Rows of a page encoded as CSV before the event loop is let go: a page in one piece held it for
 * tens of milliseconds, in which single readings waited.
 */
const CSV_SLICE = 2_000;
const DEFAULT_RANGE_MS = 24 * 3_600_000;
// The reading's own columns' Parquet types (the time a timestamp, UTC); measures are DOUBLE. A
// Map: measure names are the senders' words, and a plain object would answer `constructor`
// from its prototype.
const PARQUET_TYPES: ReadonlyMap<string, ParquetType> = new Map(
  Object.entries({
    turbine_id: "VARCHAR",
    time: "TIMESTAMPTZ",
    power_kw: "DOUBLE",
    wind_speed_ms: "DOUBLE",
    status: "VARCHAR",
    status_code: "BIGINT",
    version: "BIGINT",
  } satisfies Record<string, ParquetType>),
);

/**
 * 1234567 as "1,234,567". Not toLocaleString: its first call loads ICU's number formatting, and
 * the route's description below is built while a cold Lambda starts (~5 ms of it).
 */
const withThousands = (count: number) => String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

const route = createRoute({
  method: "get",
  path: "/v1/readings/export",
  operationId: "exportReadings",
  tags: ["analysis"],
  summary: "Export every stored reading of a period (CSV or Parquet)",
  description: `All turbines' readings with from <= time < to, in time order, with one column per stored measure. Same columns and order on every store (DuckDB, Timestream, InfluxDB). CSV is streamed page by page; Parquet (zstd; time a UTC timestamp) is written by DuckDB in the local server, page by page into a temporary file that is streamed back (406 where no Parquet writer runs). At most ${withThousands(MAX_EXPORT_READINGS)} readings per export: a period holding more answers 422, to be split. Defaults: the 24 hours before now, format=csv. Reader or operator key.`,
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      from: QueryTimeSchema.optional(),
      to: QueryTimeSchema.optional(),
      format: z.enum(["csv", "parquet"]).default("csv"),
    }),
  },
  responses: {
    200: {
      description:
        "The readings (columns: turbine_id, time, power_kw, wind_speed_ms, status, status_code, version, then the measures by name).",
      content: {
        "text/csv": { schema: z.string() },
        [PARQUET_MEDIA_TYPE]: { schema: z.string().openapi({ format: "binary" }) },
      },
    },
    401: problem("Missing or unknown key."),
    403: problem("A turbine key."),
    406: problem("format=parquet where no Parquet writer runs (Lambda)."),
    422: problem("Bad parameters, or more readings than one export holds."),
    503: problem(
      `The store cannot answer now, or ${MAX_CONCURRENT_EXPORTS} exports are running already; retry after Retry-After seconds.`,
    ),
  },
});

function exportRow(row: QueryRow, measures: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    turbine_id: row.turbine_id,
    time: new Date(Number(row.time_ms)).toISOString(),
    power_kw: row.power_kw,
    wind_speed_ms: row.wind_speed_ms,
    status: row.status,
    status_code: row.status_code,
    version: row.version,
  };
  for (const m of measures) out[m] = row[m];
  return out;
}

export function registerReadingsExportRoutes(app: GustApp, deps: AppDeps): void {
  const exports = new ConcurrencyLimit(MAX_CONCURRENT_EXPORTS);
  app.openapi(route, async (c) => {
    const principal = await authenticateFleetReader(c, deps, "export the fleet's readings");
    if (principal instanceof Response) return principal as never;
    const params = c.req.valid("query");
    const { format } = params;
    const range = queryRange(params, deps.clock.now(), DEFAULT_RANGE_MS);
    if (range instanceof Response) return range as never;
    const release = exports.tryTake();
    if (!release) return busy("exports", exports.max, EXPORTS_RETRY_AFTER_S) as never;
    try {
      return (await answerExport(c, format, range, release)) as never;
    } catch (error) {
      release();
      throw error;
    }
  });

  /** The export's answer; `release` is called once it has been sent or given up (never before). */
  async function answerExport(
    c: Context,
    format: "csv" | "parquet",
    range: { from: number; to: number },
    release: () => void,
  ): Promise<Response> {
    const target = queryTarget(deps.store);
    const [count] = await deps.store.select(renderExportCountQuery(target, range));
    const total = Number(count?.n ?? 0);
    if (total > MAX_EXPORT_READINGS) {
      release();
      return problemResponse(
        422,
        "range-too-large",
        "Range too large",
        `${withThousands(total)} readings from ${new Date(range.from).toISOString()} to ${new Date(range.to).toISOString()}, over the ${withThousands(MAX_EXPORT_READINGS)} one export holds: split the period (from/to).`,
        { errors: [{ pointer: "/to", detail: `at most ${MAX_EXPORT_READINGS} readings` }] },
      );
    }
    const measures = [...(await deps.store.measureColumns())].sort();
    const columns = [...EXPORT_BASE_COLUMNS, ...measures];
    const pages = async function* () {
      for await (const rows of exportPages(deps.store, range, measures, PAGE)) {
        yield rows.map((row) => exportRow(row, measures));
      }
    };
    if (format === "parquet") {
      if (!deps.parquet) {
        release();
        return parquetUnavailable("format=csv");
      }
      const parquetColumns: ParquetColumn[] = columns.map((name) => ({
        name,
        type: PARQUET_TYPES.get(name) ?? "DOUBLE",
      }));
      // The pages are read and written here; what follows streams a finished file.
      const body = await deps.parquet.writePages(parquetColumns, pages());
      release();
      return c.body(body, 200, {
        "content-type": PARQUET_MEDIA_TYPE,
        "content-disposition": 'attachment; filename="readings.parquet"',
      });
    }
    const encoder = new TextEncoder();
    const iterator = pages();
    let header = true;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) {
            if (header) controller.enqueue(encoder.encode(toCsv(columns, [])));
            controller.close();
            release();
            return;
          }
          for (let start = 0; start < next.value.length; start += CSV_SLICE) {
            if (start > 0) await new Promise((resolve) => setImmediate(resolve));
            const csv = toCsv(columns, next.value.slice(start, start + CSV_SLICE));
            // The header once, then each slice's rows.
            controller.enqueue(encoder.encode(header ? csv : csv.slice(csv.indexOf("\n") + 1)));
            header = false;
          }
        } catch (error) {
          release();
          throw error;
        }
      },
      cancel() {
        release();
        // Not awaited: a page query under way finishes first, and the client has gone.
        iterator.return(undefined).catch(() => undefined);
      },
    });
    return c.body(body, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": 'attachment; filename="readings.csv"',
    });
  }
}
