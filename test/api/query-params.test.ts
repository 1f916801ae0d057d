// Query strings say exactly one thing (issue 32, item 11): an impossible date and a limit in
// another notation are a 422 naming the parameter, and `from` not before `to` is a 422 on every
// route that takes both.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const expect422 = async (path: string, pointer: string, detail: RegExp) => {
  const answer = await server.get(path, server.operatorKey);
  expect(answer.status, path).toBe(422);
  expect(answer.contentType).toBe("application/problem+json");
  const error = answer.body.errors.find((e: { pointer: string }) => e.pointer === pointer);
  expect(error?.detail, JSON.stringify(answer.body)).toMatch(detail);
};

describe("times", () => {
  it.each([
    ["2026-02-30T00:00:00Z", /2026-02 has no day 30/],
    ["2025-02-29T00:00:00Z", /2025-02 has no day 29/],
    ["2026-04-31T10:00:00+02:00", /no day 31/],
    ["2026-11-23T24:00:00Z", /not a time of day/],
    ["2026-11-23T10:60:00Z", /RFC 3339|not a time of day/],
  ])("refuses %s", async (time, detail) => {
    await expect422(
      `/v1/turbines/q-1/measurements?from=${encodeURIComponent(time)}`,
      "/from",
      detail,
    );
  });

  it("takes a leap day", async () => {
    const answer = await server.get(
      "/v1/turbines/q-1/measurements?from=2028-02-29T00:00:00Z&to=2028-03-01T00:00:00Z",
    );
    expect(answer.status).toBe(200);
  });
});

describe("limits", () => {
  it.each(["0x10", "1e3", "+5", " 12", "", "1.0", "0"])("refuses limit=%j", async (limit) => {
    for (const path of ["/v1/turbines", "/v1/turbines/q-1/measurements", "/v1/alarms"]) {
      await expect422(`${path}?limit=${encodeURIComponent(limit)}`, "/limit", /decimal digits/);
    }
  });

  it("takes plain digits", async () => {
    expect((await server.get("/v1/turbines?limit=16")).status).toBe(200);
  });
});

describe("from after to", () => {
  const from = "2026-11-23T12:00:00Z";
  const to = "2026-11-23T10:00:00Z";
  it.each([
    "/v1/turbines/q-1/measurements",
    "/v1/alarms",
    "/v1/power",
    "/v1/readings/export",
    "/v1/analyses/availability",
  ])("is a 422 on %s", async (path) => {
    await expect422(`${path}?from=${from}&to=${to}`, "/from", /before `to`/);
  });
});
