// The Timestream store through the REAL AWS SDK clients, against the fake on the wire
// (wire-timestream.ts), which answers as the AWS documentation says Timestream does.
import { InvalidEndpointException } from "@aws-sdk/client-timestream-write";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { renderReadingsQuery } from "../../api/queries/readings.ts";
import { queryTarget } from "../../api/queries/sql.ts";
import { type Reading, StoreUnavailableError } from "../../api/store/port.ts";
import { TimestreamStore } from "../../api/store/timestream-store.ts";
import { isRetryable } from "../../api/time/deadline.ts";
import { startWireTimestream, type WireTimestream } from "./wire-timestream.ts";

const HOUR = 3_600_000;
const WINDOW = { maxAgeMs: 24 * HOUR, maxFutureMs: 900_000 };
const SECRET = "wire-secret-0123456789abcdef";
let wire: WireTimestream;
let store: TimestreamStore;

function storeOn(budgetMs = 3000): TimestreamStore {
  return new TimestreamStore({
    database: "gust",
    table: "readings",
    writeClient: wire.writeClient(),
    queryClient: wire.queryClient(),
    writeWindow: WINDOW,
    budgetMs,
    retry: { baseMs: 5, capMs: 40, marginMs: 10 },
  });
}

function reading(turbine: string, minutesAgo: number, extra: Partial<Reading> = {}): Reading {
  return {
    turbine_id: turbine,
    time: Date.now() - minutesAgo * 60_000,
    power_kw: 1000 + minutesAgo,
    wind_speed_ms: 8,
    status: "producing",
    version: 1,
    status_code: null,
    measures: {},
    tags: { province: "Flevoland" },
    ...extra,
  };
}

beforeEach(async () => {
  wire = await startWireTimestream();
  store = storeOn();
});
afterEach(async () => {
  await store.close();
  await wire.close();
});

describe("a fresh table", () => {
  it("writes without a query: a resend is accepted again and stored once", async () => {
    const first = reading("fresh", 1);
    expect(await store.write([first], Date.now())).toEqual(["accepted"]);
    expect(await store.write([first], Date.now())).toEqual(["accepted"]);
    expect(wire.calls.map((c) => c.operation)).toEqual(["WriteRecords", "WriteRecords"]);
    expect(wire.records.size).toBe(1);
  });

  it("reads as empty, not as an error", async () => {
    const sql = renderReadingsQuery(queryTarget(store), {
      turbineId: "nobody",
      from: Date.now() - HOUR,
      to: Date.now(),
      limit: 10,
    });
    expect(await store.select(sql)).toEqual([]);
    const app = createApp({ store, keySecret: async () => SECRET });
    const answer = await app.request("/v1/turbines/nobody/measurements", {
      headers: { authorization: `Bearer ${roleKey(SECRET, "reader")}` },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ readings: [], next_from: null });
  });

  it("reads a dimension no record has as NULL (power by province), like DuckDB", async () => {
    await store.write([reading("no-province", 5, { tags: {} })], Date.now());
    wire.answerQuery = (sql) =>
      sql.includes("NULL AS grp")
        ? {
            columns: [
              { Name: "bin_ms", ScalarType: "BIGINT" },
              { Name: "grp", ScalarType: "UNKNOWN" },
              { Name: "power_kw", ScalarType: "DOUBLE" },
              { Name: "turbines", ScalarType: "BIGINT" },
            ],
            rows: [["1795000000000", null, "1005", "1"]],
          }
        : undefined;
    const app = createApp({ store, keySecret: async () => SECRET });
    const answer = await app.request("/v1/power?by=province&every=1h", {
      headers: { authorization: `Bearer ${roleKey(SECRET, "reader")}` },
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { bins: unknown[] }).bins).toEqual([
      expect.objectContaining({ group: null, power_kw: 1005, turbines: 1 }),
    ]);
    const queries = wire.calls.filter((c) => c.operation === "Query").slice(-2);
    expect(queries[0]?.body.QueryString).toContain('"province" AS grp');
    expect(queries[1]?.body.QueryString).toContain("NULL AS grp");
  });
});

describe("rejected records, by their documented fields", () => {
  it("a different value at the stored version, not yet visible to queries, carries ExistingVersion: conflict", async () => {
    wire.visibilityDelayMs = 60_000;
    const first = reading("race", 2);
    expect(await store.write([first], Date.now())).toEqual(["accepted"]);
    expect(await store.write([{ ...first, power_kw: 1 }], Date.now())).toEqual(["conflict"]);
    const write = wire.calls.filter((c) => c.operation === "WriteRecords").at(-1);
    expect(write).toBeDefined();
  });

  it("a record over Timestream's limits is a per-reading rejection with its reason, never a 500", async () => {
    const huge = reading("limits", 3, { tags: { province: "x".repeat(2100) } });
    const fine = reading("limits", 4);
    const outcomes = await store.write([huge, fine], Date.now());
    expect(outcomes[1]).toBe("accepted");
    expect(outcomes[0]).toEqual({
      reason: "store_rejected",
      detail: expect.stringContaining("dimensions of the record exceed the maximum size"),
    });
    const app = createApp({ store, keySecret: async () => SECRET });
    const answer = await app.request("/v1/measurements", {
      method: "POST",
      headers: {
        authorization: `Bearer ${roleKey(SECRET, "operator")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        turbine_id: "limits",
        time: Date.now() - 60_000,
        power_kw: 1,
        wind_speed_ms: 1,
        tags: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, "y".repeat(250)])),
      }),
    });
    // Dimensions no longer arrive on readings (the registry bounds them): tags are a 422.
    expect(answer.status).toBe(422);
    expect(await answer.json()).toMatchObject({ errors: [{ pointer: "/tags" }] });
  });

  it("a time Timestream refuses at the window's edge is too_old, by the time, not the words", async () => {
    wire.memoryRetentionMs = HOUR;
    const edge = new TimestreamStore({
      database: "gust",
      table: "readings",
      writeClient: wire.writeClient(),
      queryClient: wire.queryClient(),
      writeWindow: { maxAgeMs: HOUR, maxFutureMs: 900_000 },
      budgetMs: 3000,
    });
    // Inside the app's window when checked, past Timestream's by the time it arrives.
    const late = reading("edge", 60, { time: Date.now() - HOUR - 10 });
    expect(await edge.write([late, reading("edge", 1)], Date.now())).toEqual([
      "too_old",
      "accepted",
    ]);
    await edge.close();
  });
});

describe("the table's retention", () => {
  it("narrows the write window to the table's memory retention: too_old, not store_rejected", async () => {
    wire.memoryRetentionMs = 2 * HOUR;
    const app = createApp({ store, keySecret: async () => SECRET });
    const post = async (hoursAgo: number) => {
      const answer = await app.request("/v1/measurements", {
        method: "POST",
        headers: {
          authorization: `Bearer ${roleKey(SECRET, "operator")}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({
          turbine_id: "retained",
          time: Date.now() - hoursAgo * HOUR,
          power_kw: 1,
          wind_speed_ms: 1,
        }),
      });
      return (await answer.json()) as { accepted: number; rejected: { reason: string }[] };
    };
    expect(await post(3)).toMatchObject({ accepted: 0, rejected: [{ reason: "too_old" }] });
    expect(await post(1)).toMatchObject({ accepted: 1, rejected: [] });
    expect(store.writeWindow.maxAgeMs).toBe(2 * HOUR);
    // Read once, then cached.
    expect(wire.calls.filter((c) => c.operation === "DescribeTable")).toHaveLength(1);
  });
});

describe("corrections", () => {
  it("a higher version with other dimensions replaces the one record, keeping its dimensions", async () => {
    // Once the first write is visible, the correction's query finds its dimensions.
    wire.visibilityDelayMs = 0;
    const first = reading("moved", 6, { tags: { province: "Flevoland" } });
    expect(await store.write([first], Date.now())).toEqual(["accepted"]);
    const correction = { ...first, power_kw: 5, version: 2, tags: { province: "Drenthe" } };
    expect(await store.write([correction], Date.now())).toEqual(["accepted"]);
    // Timestream's identity is every dimension + time + measure name: one identity, one record.
    expect([...wire.records.values()]).toEqual([
      expect.objectContaining({
        dimensions: { turbine_id: "moved", province: "Flevoland" },
        version: 2,
        measures: expect.objectContaining({ power_kw: { value: "5", type: "DOUBLE" } }),
      }),
    ]);
  });
});

describe("corrections before the first write is visible", () => {
  it("a correction the query cannot see yet is still written, with the registry's dimensions", async () => {
    wire.visibilityDelayMs = 60_000;
    const first = reading("eventual", 7);
    expect(await store.write([first], Date.now())).toEqual(["accepted"]);
    expect(await store.write([{ ...first, power_kw: 3, version: 2 }], Date.now())).toEqual([
      "accepted",
    ]);
    expect(wire.records.size).toBe(1);
    expect(await store.write([first], Date.now())).toEqual(["conflict"]);
  });
});

describe("failures in time", () => {
  it("retries ThrottlingException on the wire, then succeeds", async () => {
    wire.throttleNext = 2;
    expect(await store.write([reading("throttled", 1)], Date.now())).toEqual(["accepted"]);
    expect(wire.calls.length).toBe(3); // two throttled, the write
  });

  it("a call that never answers is aborted at the deadline: StoreUnavailableError, not a hang", async () => {
    const short = storeOn(400);
    wire.hangNext = 100;
    const write = short.write([reading("hang", 1)], Date.now());
    await expect(write).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(write).rejects.toThrow(/no answer before the deadline|time budget ran out/);
    await short.close();
  });

  it("the app answers 503 with Retry-After when Timestream does not answer", async () => {
    const short = storeOn(400);
    wire.hangNext = 100;
    const app = createApp({ store: short, keySecret: async () => SECRET });
    const answer = await app.request("/v1/measurements", {
      method: "POST",
      headers: {
        authorization: `Bearer ${roleKey(SECRET, "operator")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ turbine_id: "hang", power_kw: 1, wind_speed_ms: 1 }),
    });
    expect(answer.status).toBe(503);
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    await short.close();
  });

  it("retries endpoint-discovery failures and InvalidEndpointException as transient", () => {
    // The shape @aws-sdk/middleware-endpoint-discovery throws when DescribeEndpoints fails.
    const discovery = Object.assign(
      new Error(
        "The operation to discover endpoint failed. Please retry, or provide a custom endpoint and disable endpoint discovery to proceed.",
      ),
      { reason: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) },
    );
    expect(isRetryable(discovery)).toBe(true);
    expect(
      isRetryable(
        new InvalidEndpointException({ message: "stale", $metadata: { httpStatusCode: 421 } }),
      ),
    ).toBe(true);
    expect(isRetryable(Object.assign(new Error("bad"), { name: "ValidationException" }))).toBe(
      false,
    );
  });
});
