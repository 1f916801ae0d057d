// The Timestream store against a mocked client that answers as the AWS API documents.
import { ThrottlingException, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { describe, expect, it } from "vitest";
import { renderCompletenessQuery, renderPowerCurveQuery } from "../../api/queries/analysis.ts";
import { renderPowerQuery } from "../../api/queries/power.ts";
import { renderReadingsQuery } from "../../api/queries/readings.ts";
import { queryTarget } from "../../api/queries/sql.ts";
import type { Reading } from "../../api/store/port.ts";
import { StoreUnavailableError } from "../../api/store/port.ts";
import { parseDatum, parseTimestamp } from "../../api/store/timestream-query.ts";
import { TimestreamStore } from "../../api/store/timestream-store.ts";
import { createFakeTimestream, type FakeTimestream } from "./fake-timestream.ts";

const NOW = Date.now();
const WINDOW = { maxAgeMs: 24 * 3_600_000, maxFutureMs: 900_000 };

function storeOn(fake: FakeTimestream, budgetMs = 2000): TimestreamStore {
  return new TimestreamStore({
    database: "gust",
    table: "readings",
    writeClient: fake.writeClient,
    queryClient: fake.queryClient,
    writeWindow: WINDOW,
    budgetMs,
    retry: { baseMs: 5, capMs: 40, marginMs: 10 },
  });
}

function reading(turbine: string, minutesAgo: number, extra: Partial<Reading> = {}): Reading {
  return {
    turbine_id: turbine,
    time: NOW - minutesAgo * 60_000,
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

describe("writes", () => {
  it("sends at most 100 records a call, in concurrent chunks, as multi-measure records", async () => {
    const fake = createFakeTimestream();
    const readings = Array.from({ length: 250 }, (_, i) => reading(`t${i % 3}`, i));
    expect(await storeOn(fake).write(readings, NOW)).toEqual(readings.map(() => "accepted"));
    const calls = fake.writeMock.commandCalls(WriteRecordsCommand);
    expect(calls.map((c) => c.args[0].input.Records?.length)).toEqual([100, 100, 50]);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({
      DatabaseName: "gust",
      TableName: "readings",
      CommonAttributes: {
        MeasureName: "reading",
        MeasureValueType: "MULTI",
        TimeUnit: "MILLISECONDS",
      },
    });
    expect(input?.Records?.[0]).toEqual({
      Dimensions: [
        { Name: "turbine_id", Value: "t0", DimensionValueType: "VARCHAR" },
        { Name: "province", Value: "Flevoland", DimensionValueType: "VARCHAR" },
      ],
      Time: String(readings[0]?.time),
      MeasureValues: [
        { Name: "power_kw", Value: "1000", Type: "DOUBLE" },
        { Name: "wind_speed_ms", Value: "8", Type: "DOUBLE" },
        { Name: "version", Value: "1", Type: "BIGINT" },
        { Name: "status", Value: "producing", Type: "VARCHAR" },
      ],
      Version: 1,
    });
  });

  it("moves one turbine's dimensions into CommonAttributes, and omits a null status", async () => {
    const fake = createFakeTimestream();
    await storeOn(fake).write([reading("solo", 1, { status: null }), reading("solo", 2)], NOW);
    const input = fake.writeMock.commandCalls(WriteRecordsCommand)[0]?.args[0].input;
    expect(input?.CommonAttributes?.Dimensions?.map((d) => d.Name)).toEqual([
      "turbine_id",
      "province",
    ]);
    expect(input?.Records?.every((r) => r.Dimensions === undefined)).toBe(true);
    expect(input?.Records?.[0]?.MeasureValues?.map((m) => m.Name)).toEqual([
      "power_kw",
      "wind_speed_ms",
      "version",
    ]);
  });

  it("answers as docs/aws.md says: a resend accepted, conflicts and corrections exact", async () => {
    const fake = createFakeTimestream();
    const store = storeOn(fake);
    const first = reading("v", 5);
    expect(await store.write([first], NOW)).toEqual(["accepted"]);
    expect(
      await store.write(
        [first, first, { ...first, power_kw: 1 }, { ...first, power_kw: 2, version: 2 }],
        NOW,
      ),
    ).toEqual(["accepted", "duplicate", "conflict", "accepted"]);
    expect(await store.write([{ ...first, power_kw: 9 }], NOW)).toEqual(["conflict"]);
    expect([...fake.records.values()].map((r) => r.measures.power_kw?.value)).toEqual(["2"]);
  });

  it("maps RejectedRecords back to the readings: out of the window, and a conflict raced in", async () => {
    const fake = createFakeTimestream();
    fake.retentionMs = 60 * 60_000;
    const store = storeOn(fake);
    // The app checks its window first; a table whose own window is shorter (a misconfigured
    // deployment) still rejects, without ExistingVersion: passed on with Timestream's reason.
    const readings = [reading("r", 1), reading("r", 120), reading("r", 2)];
    expect(await store.write(readings, NOW)).toEqual([
      "accepted",
      {
        reason: "store_rejected",
        detail: expect.stringContaining("outside the time range"),
      },
      "accepted",
    ]);
    // A different value for a stored reading: Timestream rejects it with ExistingVersion.
    expect(await store.write([{ ...(readings[0] as Reading), power_kw: 5 }], NOW)).toEqual([
      "conflict",
    ]);
  });

  it("retries throttling and 5xx, then succeeds", async () => {
    const fake = createFakeTimestream();
    const fakeWrite = fake.writeMock.commandCalls.bind(fake.writeMock);
    fake.writeMock
      .on(WriteRecordsCommand)
      .rejectsOnce(
        new ThrottlingException({
          message: "Rate exceeded",
          Message: "Rate exceeded",
          $metadata: { httpStatusCode: 429 },
        }),
      )
      .rejectsOnce(
        Object.assign(new Error("Internal"), {
          name: "InternalServerException",
          $metadata: { httpStatusCode: 500 },
        }),
      )
      .resolves({ $metadata: {} });
    expect(await storeOn(fake).write([reading("x", 1)], NOW)).toEqual(["accepted"]);
    expect(fakeWrite(WriteRecordsCommand)).toHaveLength(3);
  });

  it("gives up at the deadline with StoreUnavailableError, acknowledging nothing", async () => {
    const fake = createFakeTimestream();
    fake.writeMock.on(WriteRecordsCommand).rejects(
      new ThrottlingException({
        message: "Rate exceeded",
        Message: "Rate exceeded",
        $metadata: { httpStatusCode: 429 },
      }),
    );
    const write = storeOn(fake, 300).write([reading("x", 1)], NOW);
    await expect(write).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(write).rejects.toThrow(/still failing after \d+ attempt\(s\)/);
    expect(fake.writeMock.commandCalls(WriteRecordsCommand).length).toBeGreaterThan(1);
  });
});

describe("queries", () => {
  it("pages through NextToken and parses rows into plain values", async () => {
    const fake = createFakeTimestream();
    const store = storeOn(fake);
    await store.write(
      [1, 2, 3, 4, 5].map((m) => reading("p", m, { status: m === 3 ? null : "idle" })),
      NOW,
    );
    const rows = await store.select(
      renderReadingsQuery(queryTarget(store), {
        turbineId: "p",
        from: NOW - 3_600_000,
        to: NOW,
        limit: 100,
      }),
    );
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r.time)).toEqual([5, 4, 3, 2, 1].map((m) => NOW - m * 60_000));
    expect(rows[2]).toMatchObject({
      status: null,
      power_kw: 1003,
      version: 1,
      province: "Flevoland",
      turbine_id: "p",
    });
  });

  it("parses every scalar type and nulls", () => {
    const column = (ScalarType: string) => ({ Name: "c", Type: { ScalarType } }) as never;
    expect(parseDatum({ ScalarValue: "42" }, column("BIGINT"))).toBe(42);
    expect(parseDatum({ ScalarValue: "7" }, column("INTEGER"))).toBe(7);
    expect(parseDatum({ ScalarValue: "1.5" }, column("DOUBLE"))).toBe(1.5);
    expect(parseDatum({ ScalarValue: "true" }, column("BOOLEAN"))).toBe(true);
    expect(parseDatum({ ScalarValue: "false" }, column("BOOLEAN"))).toBe(false);
    expect(parseDatum({ ScalarValue: "text" }, column("VARCHAR"))).toBe("text");
    expect(parseDatum({ ScalarValue: "2026-11-23 10:00:00.123456789" }, column("TIMESTAMP"))).toBe(
      Date.parse("2026-11-23T10:00:00.123Z"),
    );
    expect(parseDatum({ NullValue: true }, column("DOUBLE"))).toBeNull();
    expect(parseTimestamp("2026-11-23 10:00:00")).toBe(Date.parse("2026-11-23T10:00:00Z"));
  });

  it("renders every product query in Timestream's dialect", () => {
    const target = { dialect: "timestream" as const, tableRef: '"gust"."readings"' };
    const range = { from: 1_795_000_000_000, to: 1_795_086_400_000 };
    const power = renderPowerQuery(target, { ...range, every: "15m", by: "province" });
    expect(power).toContain("bin(time, 15m)");
    expect(power).toContain('"province" AS grp');
    expect(power).toContain('FROM "gust"."readings"');
    expect(power).toContain(
      "time >= from_milliseconds(1795000000000) AND time < from_milliseconds(1795086400000)",
    );
    expect(power).toContain("to_milliseconds(bin) AS bin_ms");
    expect(renderPowerQuery(target, { ...range, every: "1mo", by: "none" })).toContain(
      "date_trunc('month', time)",
    );
    expect(renderCompletenessQuery(target, range)).toContain("approx_percentile(step_ms, 0.5)");
    expect(renderPowerCurveQuery(target, range)).toContain('CAST("rated_kw" AS DOUBLE)');
    expect(renderReadingsQuery(target, { turbineId: "it's", from: 1, to: 2, limit: 5 })).toContain(
      "turbine_id = 'it''s'",
    );
    for (const sql of [
      power,
      renderCompletenessQuery(target, range),
      renderPowerCurveQuery(target, range),
    ]) {
      expect(sql).not.toMatch(/epoch_ms|time_bucket|->>|median\(/);
    }
  });
});
