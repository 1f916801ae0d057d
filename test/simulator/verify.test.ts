// Verification must catch what it promises to catch: a reading missing, stored twice, or stored
// with another value in any field. The API here is a local fake whose stored rows the test
// chooses (in the API's documented answer shape), so each kind of loss can be staged.
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { StoredReading } from "../../api/readings/schema.ts";
import type { SimulatedReading } from "../../simulator/project-reading.ts";
import { type AcknowledgedReadings, verifyStored } from "../../simulator/verify.ts";

const T0 = Date.UTC(2026, 10, 20, 12);
const MINUTE = 60_000;

function sent(turbine: string, minute: number): SimulatedReading {
  return {
    turbine_id: turbine,
    time: T0 + minute * MINUTE,
    power_kw: 1000 + minute,
    wind_speed_ms: 8 + minute / 10,
    status: "producing",
  };
}

function asStored(reading: SimulatedReading): StoredReading {
  return {
    turbine_id: reading.turbine_id,
    time: new Date(reading.time).toISOString(),
    power_kw: reading.power_kw,
    wind_speed_ms: reading.wind_speed_ms,
    status: reading.status,
    version: 1,
    status_code: null,
    measures: {},
    tags: {},
  };
}

function acknowledge(readings: SimulatedReading[]): AcknowledgedReadings {
  const byTurbine: AcknowledgedReadings = new Map();
  for (const reading of readings) {
    const byTime = byTurbine.get(reading.turbine_id) ?? new Map();
    byTime.set(reading.time, reading);
    byTurbine.set(reading.turbine_id, byTime);
  }
  return byTurbine;
}

/**
 * A fake read API over `rows`: answers pages of `pageSize` in time order with `next_from`, as
 * the real one does, after answering 503 to the first `unavailable` requests.
 */
async function fakeReadApi(
  rows: StoredReading[],
  { pageSize = 3, unavailable = 0, status = 200 } = {},
): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (requests.length <= unavailable) {
      res.writeHead(503, { "content-type": "application/problem+json", "retry-after": "0" });
      res.end('{"title":"Store unavailable","status":503}');
      return;
    }
    if (status !== 200) {
      res.writeHead(status, { "content-type": "application/problem+json" });
      res.end(`{"title":"Forbidden","status":${status},"detail":"reader key expected"}`);
      return;
    }
    const url = new URL(req.url ?? "/", "http://fake");
    const turbine = decodeURIComponent(url.pathname.split("/")[3] ?? "");
    const from = Date.parse(url.searchParams.get("from") ?? "");
    const to = Number(url.searchParams.get("to"));
    const matching = rows
      .filter((r) => r.turbine_id === turbine)
      .filter((r) => Date.parse(r.time) >= from && Date.parse(r.time) < to)
      .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const page = matching.slice(0, pageSize);
    const last = page.at(-1);
    const full = page.length === pageSize && last;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        turbine_id: turbine,
        readings: page,
        next_from: full ? new Date(Date.parse(last.time) + 1).toISOString() : null,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, requests };
}

let open: Server | undefined;
afterEach(() => {
  open?.close();
  open = undefined;
});

const readings = [
  ...Array.from({ length: 7 }, (_, m) => sent("nl-0001", m)),
  ...Array.from({ length: 7 }, (_, m) => sent("nl-0002", m)),
];

describe("verification", () => {
  it("passes when every acknowledged reading is stored once with its values, across pages", async () => {
    const api = await fakeReadApi(readings.map(asStored), { unavailable: 2 });
    open = api.server;
    const result = await verifyStored(api.url, "reader", acknowledge(readings));
    expect(result).toMatchObject({ ok: true, checked: 14, turbines: 2, missing: 0 });
    // Pages of 3 for 7 readings: 3 pages per turbine, plus the two 503s retried.
    expect(api.requests).toHaveLength(2 + 2 * 3);
  });

  it("finds a reading missing, one stored twice, and one off in each of wind and status", async () => {
    const rows = readings.map(asStored);
    const byTime = (turbine: string, minute: number) =>
      rows.find(
        (r) => r.turbine_id === turbine && r.time === new Date(T0 + minute * MINUTE).toISOString(),
      ) as StoredReading;
    rows.splice(rows.indexOf(byTime("nl-0001", 4)), 1);
    rows.push({ ...byTime("nl-0002", 2) });
    byTime("nl-0001", 1).wind_speed_ms += 0.01;
    byTime("nl-0002", 5).status = "fault";
    const api = await fakeReadApi(rows, { pageSize: 1000 });
    open = api.server;

    const result = await verifyStored(api.url, "reader", acknowledge(readings));

    expect(result).toMatchObject({
      ok: false,
      checked: 14,
      missing: 1,
      duplicated: 1,
      mismatched: 2,
    });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        "nl-0001 2026-11-20T12:04:00.000Z: acknowledged but not stored",
        "nl-0002 2026-11-20T12:02:00.000Z: stored 2 times",
        "nl-0001 2026-11-20T12:01:00.000Z: stored wind 8.11 m/s, sent 8.1 m/s",
        "nl-0002 2026-11-20T12:05:00.000Z: stored status fault, sent producing",
      ]),
    );
  });

  it("finds a stored power value other than the one sent", async () => {
    const rows = readings.map(asStored);
    (rows[3] as StoredReading).power_kw = 0;
    const api = await fakeReadApi(rows);
    open = api.server;
    const result = await verifyStored(api.url, "reader", acknowledge(readings));
    expect(result).toMatchObject({ ok: false, mismatched: 1, missing: 0 });
    expect(result.problems).toEqual([
      "nl-0001 2026-11-20T12:03:00.000Z: stored 0 kW, sent 1003 kW",
    ]);
  });

  it("says what the API answered when reading back is refused, instead of passing", async () => {
    const api = await fakeReadApi([], { status: 403 });
    open = api.server;
    await expect(verifyStored(api.url, "not-a-reader", acknowledge(readings))).rejects.toThrow(
      /answered 403 after 1 attempt\(s\).*reader key expected/,
    );
  });
});
