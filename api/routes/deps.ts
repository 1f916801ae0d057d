// What every route needs from its surroundings; createApp (api/app.ts) hands it to each.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ParquetWriter } from "../export/parquet.ts";
import type { TurbineRegistry } from "../registry/port.ts";
import type { ReadingStore } from "../store/port.ts";

export interface AppDeps {
  store: ReadingStore;
  /** The fleet registry: DuckDB locally, DynamoDB on Lambda. */
  registry: TurbineRegistry;
  /** REQUIRE_REGISTERED=true: readings of turbines not in the registry are refused (403). */
  requireRegistered?: boolean;
  /** Loads the key secret; called per request, so cache inside (Lambda fetches it once). */
  keySecret: () => Promise<string>;
  /** The clock, in epoch ms; tests move it. */
  now: () => number;
  /** Writes Parquet answers (format=parquet); absent where DuckDB does not run (Lambda). */
  parquet?: ParquetWriter;
  /** Where swagger-ui-dist's files are; defaults to the installed package. */
  docsAssetsDir?: string;
}

export type GustApp = OpenAPIHono;
