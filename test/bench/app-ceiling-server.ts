// A second ceiling for ingest benchmarks: the gust app itself (routes, auth, body limits, JSON,
// validation, answers) over a store that keeps nothing, served as gust serves it (the direct
// ingest route of api/ingest-listener.ts included). The distance from the bare node:http
// ceiling is what the app costs; the distance to gust proper is what durable storage costs.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { appDeps, appFor } from "../../api/app.ts";
import { MAX_FUTURE_MS } from "../../api/config.ts";
import { createServerWithDirectIngest } from "../../api/ingest-listener.ts";
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
const deps = appDeps({
  store: keepsNothing,
  registry: new MemoryRegistry(),
  keySecret: async () => secret,
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
