// The write contract of POST /v1/measurements against a real server and DuckDB file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reading, startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

function expectProblem(answer: { status: number; contentType: string; body: any }, status: number) {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toBe("application/problem+json");
  expect(answer.body).toMatchObject({ status, type: expect.stringMatching(/^urn:gust:problem:/) });
  expect(answer.body.detail).toEqual(expect.any(String));
  expect(JSON.stringify(answer.body)).not.toMatch(/\bat .*\.ts:\d+|node_modules/);
}

describe("accepting readings", () => {
  it("stores one reading and reads it back", async () => {
    const sent = reading("accept-1", 5);
    const answer = await server.post(sent);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const read = await server.get("/v1/turbines/accept-1/measurements");
    expect(read.body.readings).toEqual([
      {
        turbine_id: "accept-1",
        time: sent.time,
        power_kw: sent.power_kw,
        wind_speed_ms: 8.5,
        status: "producing",
        status_code: null,
        version: 1,
        measures: {},
        tags: {},
      },
    ]);
  });

  it("stores a batch and counts every reading", async () => {
    const readings = Array.from({ length: 1000 }, (_, i) => reading("accept-batch", i / 10));
    const answer = await server.post({ readings });
    expect(answer.body).toEqual({ accepted: 1000, duplicates: 0, rejected: [] });
    expect(await server.stored("accept-batch")).toHaveLength(1000);
  });

  it("takes the server's clock when time is omitted, and epoch milliseconds", async () => {
    const before = Date.now();
    const { time: _omitted, ...noTime } = reading("accept-time", 0);
    await server.post(noTime);
    await server.post(reading("accept-time", 0, { time: before - 60_000 }));
    const stored = await server.stored("accept-time");
    expect(stored.map((row) => row.time)).toEqual([before - 60_000, expect.any(Number)]);
    expect(stored[1].time).toBeGreaterThanOrEqual(before);
    expect(stored[1].time).toBeLessThanOrEqual(Date.now());
  });

  it("accepts a gzip body", async () => {
    const answer = await server.post(
      { readings: [reading("gzip-1", 1), reading("gzip-1", 2)] },
      { gzip: true },
    );
    expect(answer.body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(await server.stored("gzip-1")).toHaveLength(2);
  });
});

describe("identity: (turbine_id, time)", () => {
  it("counts an identical re-send as a duplicate and stores it once", async () => {
    const sent = reading("idem-1", 3);
    expect((await server.post(sent)).body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await server.post(sent)).body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect((await server.post({ readings: [sent, sent] })).body).toEqual({
      accepted: 0,
      duplicates: 2,
      rejected: [],
    });
    expect(await server.stored("idem-1")).toHaveLength(1);
  });

  it("treats the same instant in another notation as the same identity", async () => {
    const now = Date.now() - 120_000;
    const sent = reading("idem-2", 0, { time: now });
    await server.post(sent);
    const answer = await server.post({
      ...sent,
      time: new Date(now).toISOString().replace("Z", "+00:00"),
    });
    expect(answer.body.duplicates).toBe(1);
  });

  it("rejects a different reading with the same identity as a conflict and keeps the first", async () => {
    const sent = reading("conflict-1", 4);
    await server.post(sent);
    const answer = await server.post({
      readings: [reading("conflict-1", 5), { ...sent, power_kw: 1 }],
    });
    expect(answer.body.accepted).toBe(1);
    expect(answer.body.rejected).toEqual([
      { index: 1, reason: "conflict", detail: expect.stringContaining("higher version") },
    ]);
    const stored = await server.stored("conflict-1");
    expect(stored.find((row) => row.time === new Date(sent.time).getTime())?.power_kw).toBe(
      sent.power_kw,
    );
  });

  it("replaces a stored reading when a higher version comes, and only then", async () => {
    const sent = reading("version-1", 6);
    await server.post(sent);
    const corrected = { ...sent, power_kw: 99, version: 2 };
    expect((await server.post(corrected)).body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
    });
    expect((await server.post(corrected)).body.duplicates).toBe(1);
    expect((await server.post({ ...sent, power_kw: 5, version: 1 })).body.rejected[0].reason).toBe(
      "conflict",
    );
    const stored = await server.stored("version-1");
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ power_kw: 99, version: 2 });
  });

  it("resolves two versions of one identity within one batch to the highest", async () => {
    const sent = reading("version-2", 7);
    const answer = await server.post({
      readings: [
        { ...sent, version: 3, power_kw: 3 },
        { ...sent, version: 2, power_kw: 2 },
      ],
    });
    expect(answer.body).toMatchObject({
      accepted: 1,
      rejected: [{ index: 1, reason: "conflict" }],
    });
    expect((await server.stored("version-2"))[0]).toMatchObject({ power_kw: 3, version: 3 });
  });
});

describe("the write window", () => {
  it("rejects readings more than 15 minutes ahead and older than 7 days, naming the window", async () => {
    const now = Date.now();
    const answer = await server.post({
      readings: [
        reading("window-1", 0, { time: now + 14 * 60_000 }),
        reading("window-1", 0, { time: now + 16 * 60_000 }),
        reading("window-1", 0, { time: now - 6.9 * 86_400_000 }),
        reading("window-1", 0, { time: now - 7.1 * 86_400_000 }),
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(2);
    expect(answer.body.rejected).toEqual([
      { index: 1, reason: "too_new", detail: expect.stringContaining("15 minutes in the future") },
      { index: 3, reason: "too_old", detail: expect.stringContaining("write window of 7 days") },
    ]);
    expect(await server.stored("window-1")).toHaveLength(2);
  });

  it("follows a configured window", async () => {
    const short = await startTestServer({ writeWindowDays: 1 });
    try {
      const answer = await short.post(reading("window-2", 2 * 24 * 60));
      expect(answer.body.rejected[0]).toMatchObject({
        reason: "too_old",
        detail: expect.stringContaining("1 days"),
      });
    } finally {
      await short.stop();
    }
  });
});

describe("bad requests are problem documents and store nothing", () => {
  it("400 for malformed JSON", async () => {
    const answer = await server.post(null, { raw: '{"turbine_id": "x", ' });
    expectProblem(answer, 400);
    expect(answer.body.detail).toMatch(/not valid JSON/);
  });

  it("400 for a body that says gzip but is not", async () => {
    const answer = await server.post(null, { raw: "{}", headers: { "content-encoding": "gzip" } });
    expectProblem(answer, 400);
  });

  it("413 for a body over 1 MiB, and for more than 1000 readings", async () => {
    const big = { readings: [reading("big-1", 1, { measures: { note: 1 } })] };
    const oversized = JSON.stringify(big).padEnd(1024 * 1024 + 10, " ");
    expectProblem(await server.post(null, { raw: oversized }), 413);
    const many = { readings: Array.from({ length: 1001 }, (_, i) => reading("big-1", i / 100)) };
    const answer = await server.post(many);
    expectProblem(answer, 413);
    expect(answer.body.detail).toMatch(/1001 readings/);
    expect(await server.stored("big-1")).toHaveLength(0);
  });

  it("413 for a gzip body that expands beyond the cap", async () => {
    const bomb = `{"readings": [${" ".repeat(20 * 1024 * 1024)}]}`;
    expectProblem(await server.post(null, { raw: bomb, gzip: true }), 413);
  });

  it("415 for a wrong content type or content encoding", async () => {
    expectProblem(await server.post(reading("type-1", 1), { contentType: "text/plain" }), 415);
    expectProblem(await server.post(reading("type-1", 1), { contentType: null }), 415);
    expectProblem(
      await server.post(reading("type-1", 1), { headers: { "content-encoding": "br" } }),
      415,
    );
    expect(
      (await server.post(reading("type-1", 1), { contentType: "application/json; charset=utf-8" }))
        .status,
    ).toBe(200);
  });

  it("422 lists every bad reading by index and field, and stores none of the batch", async () => {
    const answer = await server.post({
      readings: [
        reading("all-or-nothing", 1),
        reading("all-or-nothing", 2, { power_kw: "high" }),
        reading("all-or-nothing", 3),
        reading("all-or-nothing", 4, { wind_speed_ms: 101, status: "spinning" }),
        reading("all-or-nothing", 5, { time: "yesterday" }),
      ],
    });
    expectProblem(answer, 422);
    expect(answer.body.errors).toEqual([
      { pointer: "/readings/1/power_kw", index: 1, detail: expect.any(String) },
      { pointer: "/readings/3/wind_speed_ms", index: 3, detail: expect.any(String) },
      { pointer: "/readings/3/status", index: 3, detail: expect.any(String) },
      { pointer: "/readings/4/time", index: 4, detail: expect.stringContaining("RFC 3339") },
    ]);
    expect(await server.stored("all-or-nothing")).toHaveLength(0);
  });

  it("422 for per-reading tags, saying to register the turbine", async () => {
    const answer = await server.post(reading("tags-1", 1, { tags: { project: "Windpark" } }));
    expectProblem(answer, 422);
    expect(answer.body.errors).toEqual([
      { pointer: "/tags", detail: expect.stringContaining("PUT /v1/turbines/{turbine_id}") },
    ]);
    expect(answer.body.detail).toMatch(/register|PUT \/v1\/turbines/);
    expect(await server.stored("tags-1")).toHaveLength(0);
  });

  it("422 for unknown fields, bad ids, tags and a non-object body", async () => {
    const cases: [unknown, string][] = [
      [{ ...reading("strict-1", 1), speed: 3 }, ""],
      [reading("bad id!", 1), "/turbine_id"],
      [reading("strict-1", 1, { tags: { project: "x" } }), "/tags"],
      [reading("strict-1", 1, { tags: {} }), "/tags"],
      [reading("strict-1", 1, { power_kw: Number.NaN }), "/power_kw"],
      [reading("strict-1", 1, { version: 1.5 }), "/version"],
      [reading("strict-1", 1, { time: 1_700_000_000 }), "/time"],
      [{ readings: [] }, "/readings"],
      [[reading("strict-1", 1)], ""],
      ["text", ""],
    ];
    for (const [body, pointer] of cases) {
      const answer = await server.post(body);
      expectProblem(answer, 422);
      if (pointer) expect(answer.body.errors.map((e: any) => e.pointer)).toContain(pointer);
    }
    expect(await server.stored("strict-1")).toHaveLength(0);
  });

  it("422 asks whether epoch seconds are seconds, whole or fractional", async () => {
    for (const time of [1_763_892_000, 1_763_892_000.5]) {
      const answer = await server.post(reading("seconds-1", 1, { time }));
      expectProblem(answer, 422);
      expect(answer.body.errors).toEqual([
        { pointer: "/time", detail: expect.stringContaining("is this seconds? Multiply by 1000") },
      ]);
    }
  });

  it("404 problem for an unknown path", async () => {
    expectProblem(await server.get("/v1/nothing-here"), 404);
  });
});

describe("reading back", () => {
  it("pages in time order with from, to, limit and next_from", async () => {
    const now = Date.now();
    const readings = Array.from({ length: 25 }, (_, i) =>
      reading("page-1", 0, { time: now - (25 - i) * 60_000 }),
    );
    await server.post({ readings: [...readings].reverse() });
    const first = await server.get("/v1/turbines/page-1/measurements?limit=10");
    const iso = (r: { time: number | string }) => new Date(r.time).toISOString();
    expect(first.body.readings.map((r: any) => r.time)).toEqual(readings.slice(0, 10).map(iso));
    const second = await server.get(
      `/v1/turbines/page-1/measurements?limit=10&from=${first.body.next_from}`,
    );
    expect(second.body.readings[0].time).toBe(iso(readings[10] as { time: number | string }));
    const ranged = await server.get(
      `/v1/turbines/page-1/measurements?from=${now - 20 * 60_000}&to=${new Date(now - 10 * 60_000).toISOString()}`,
    );
    expect(ranged.body.readings).toHaveLength(10);
    expect(ranged.body.next_from).toBeNull();
  });

  it("422 hints at an unencoded + in an offset and at fractional epoch seconds in a query", async () => {
    // What a client sends when it pastes ?from=2026-11-23T10:00:00+01:00 without encoding it.
    const plus = await server.get(
      "/v1/turbines/page-1/measurements?from=2026-11-23T10:00:00+01:00",
    );
    expectProblem(plus, 422);
    expect(plus.body.errors).toEqual([
      { pointer: "/from", detail: expect.stringContaining("encode it as %2B") },
    ]);
    const encoded = await server.get(
      "/v1/turbines/page-1/measurements?from=2026-11-23T10:00:00%2B01:00",
    );
    expect(encoded.status).toBe(200);
    const seconds = await server.get("/v1/turbines/page-1/measurements?from=1763892000.5");
    expectProblem(seconds, 422);
    expect(seconds.body.errors).toEqual([
      { pointer: "/from", detail: expect.stringContaining("is this seconds? Multiply by 1000") },
    ]);
  });

  it("422 for bad parameters", async () => {
    const answer = await server.get("/v1/turbines/page-1/measurements?limit=0&from=yesterday");
    expectProblem(answer, 422);
    expect(answer.body.errors.map((e: any) => e.pointer).sort()).toEqual(["/from", "/limit"]);
  });
});

describe("operations", () => {
  it("healthz names the store and needs no key", async () => {
    const answer = await fetch(`${server.url}/healthz`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ status: "ok", store: "duckdb", quarantined_readings: 0 });
  });

  it("answers 503 with Retry-After when the store cannot take writes, and stores nothing", async () => {
    const closing = await startTestServer();
    await closing.store.close();
    const answer = await closing.post(reading("unavailable-1", 1));
    expectProblem(answer, 503);
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    expectProblem(await closing.get("/healthz"), 503);
    await closing.stop();
  });
});
