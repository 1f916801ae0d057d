// GET /healthz answers from a cached store check: on Timestream each check is a billed query,
// and the route needs no key.
import { expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { HEALTH_CHECK_TTL_MS } from "../../api/routes/health.ts";
import { type ReadingStore, StoreUnavailableError } from "../../api/store/port.ts";
import { ManualClock } from "../support/manual-clock.ts";

it("checks the store at most once per TTL, failures included", async () => {
  let pings = 0;
  let down = false;
  const store = {
    kind: "timestream",
    tableRef: '"gust"."readings"',
    writeWindow: { maxAgeMs: 1, maxFutureMs: 1 },
    ping: async () => {
      pings++;
      if (down) throw new StoreUnavailableError("down", 3);
    },
  } as unknown as ReadingStore;
  const clock = new ManualClock(1_800_000_000_000);
  const app = createApp({ store, keySecret: async () => "x".repeat(32), clock });
  for (let i = 0; i < 5; i++) expect((await app.request("/healthz")).status).toBe(200);
  expect(pings).toBe(1);
  down = true;
  clock.set(clock.now() + HEALTH_CHECK_TTL_MS - 1);
  expect((await app.request("/healthz")).status).toBe(200);
  clock.set(clock.now() + 1);
  const failing = await app.request("/healthz");
  expect(failing.status).toBe(503);
  expect(failing.headers.get("retry-after")).toBe("3");
  expect((await app.request("/healthz")).status).toBe(503);
  expect(pings).toBe(2);
});

it("answers 503 at once, between pings, when the store knows it cannot serve", async () => {
  let pings = 0;
  let lost: StoreUnavailableError | null = null;
  const store = {
    kind: "duckdb",
    tableRef: "readings",
    writeWindow: { maxAgeMs: 1, maxFutureMs: 1 },
    ping: async () => {
      pings++;
    },
    check: () => {
      if (lost) throw lost;
    },
  } as unknown as ReadingStore;
  const app = createApp({
    store,
    keySecret: async () => "x".repeat(32),
    clock: new ManualClock(0),
  });
  expect((await app.request("/healthz")).status).toBe(200);
  lost = new StoreUnavailableError("the DuckDB file was deleted", 60);
  const answer = await app.request("/healthz");
  expect(answer.status).toBe(503);
  expect(answer.headers.get("retry-after")).toBe("60");
  expect(pings).toBe(1);
});
