// A second ceiling for ingest benchmarks: the gust app itself (routes, auth, body limits, JSON,
// validation, answers, and the live view's and alarms' hooks that every answer feeds) over a store
// that keeps nothing, served as gust serves it (the direct ingest route of
// api/ingest-listener.ts included). The distance from the bare node:http ceiling is what the app
// costs; the distance to gust proper is what durable storage costs. LIVE_HOOKS=false leaves the
// hooks out, so that the bench can report gust against both ceilings.
import type { AddressInfo } from "node:net";
import { DuckDBInstance } from "@duckdb/node-api";
import { serve } from "@hono/node-server";
import { appDeps, appFor } from "../../api/app.ts";
import { MAX_FUTURE_MS } from "../../api/config.ts";
import { createServerWithDirectIngest } from "../../api/ingest-listener.ts";
import { startLiveFeed } from "../../api/live-feed.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import type { ReadingStore } from "../../api/store/port.ts";

const keepsNothing: ReadingStore = {
  kind: "duckdb",
  tableRef: "readings",
  writeWindow: { maxAgeMs: 7 * 86_400_000, maxFutureMs: MAX_FUTURE_MS },
  write: async (readings) => readings.map(() => "accepted"),
  measureColumns: async () => new Set(),
  select: async () => [],
  ping: async () => undefined,
  close: async () => undefined,
};
const secret = process.env.API_KEY_SECRET ?? "";
const registry = new MemoryRegistry();
// The live feed as gust's server starts it; its alarm store lives in a DuckDB of its own, in
// memory, since the store here keeps nothing.
const live =
  process.env.LIVE_HOOKS === "false"
    ? null
    : await startLiveFeed({
        connect: async () => (await DuckDBInstance.create(":memory:")).connect(),
        listTurbines: () => registry.list(),
      });
const deps = appDeps({
  store: keepsNothing,
  registry,
  keySecret: async () => secret,
  ...live?.deps,
});
const app = appFor(deps);
const server = serve(
  {
    fetch: app.fetch,
    createServer: createServerWithDirectIngest(deps),
    port: 0,
    hostname: "127.0.0.1",
  },
  () => {
    const { port } = server.address() as AddressInfo;
    console.log(`listening on http://127.0.0.1:${port}`);
  },
);
