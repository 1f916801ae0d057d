// What every route needs from its surroundings; createApp (api/app.ts) hands it to each.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ReadingStore } from "../store/port.ts";

export interface AppDeps {
  store: ReadingStore;
  /** Loads the key secret; called per request, so cache inside (Lambda fetches it once). */
  keySecret: () => Promise<string>;
  /** The clock, in epoch ms; tests move it. */
  now: () => number;
  /** Where swagger-ui-dist's files are; defaults to the installed package. */
  docsAssetsDir?: string;
}

export type GustApp = OpenAPIHono;
