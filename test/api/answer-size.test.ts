// Answers stay under what Lambda can return (6 MB), on every store alike: the routes decide, from
// the rows any store gives them. Readings are paged to fit; a power export that cannot fit is a
// 422 that says how to ask for less.
import { expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { MAX_ANSWER_BYTES } from "../../api/routes/answer-size.ts";
import type { QueryRow, ReadingStore } from "../../api/store/port.ts";
import { fixedClock } from "../support/manual-clock.ts";

const SECRET = "answer-size-secret-0123456789";
const reader = { authorization: `Bearer ${roleKey(SECRET, "reader")}` };

function appOver(rows: QueryRow[]) {
  const store = {
    kind: "duckdb",
    tableRef: "readings",
    writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 900_000 },
    select: async () => rows,
    measureColumns: async () => new Set<string>(),
  } as unknown as ReadingStore;
  return createApp({ store, keySecret: async () => SECRET, clock: fixedClock(1_795_000_000_000) });
}

it("refuses the fleet by turbine every 15 minutes for a day (~7.6 MB) with a 422 saying what to ask", async () => {
  const start = 1_794_913_600_000;
  const rows: QueryRow[] = [];
  for (let bin = 0; bin < 96; bin++)
    for (let t = 0; t < 770; t++)
      rows.push({ bin_ms: start + bin * 900_000, grp: `nl-${t}`, power_kw: 1234.5, turbines: 1 });
  const answer = await appOver(rows).request(
    `/v1/power?every=15m&by=turbine&from=${start}&to=${start + 86_400_000}`,
    { headers: reader },
  );
  expect(answer.status).toBe(422);
  expect(answer.headers.get("content-type")).toContain("application/problem+json");
  const problem = (await answer.json()) as { detail: string };
  expect(problem.detail).toContain("73920 rows");
  expect(problem.detail).toMatch(/shorter range.*coarser every.*coarser by/);
  // A coarser grouping of the same day fits.
  const fewer = rows.filter((r) => r.grp === "nl-1");
  expect(
    (
      await appOver(fewer).request(
        `/v1/power?every=15m&by=project&from=${start}&to=${start + 86_400_000}`,
        {
          headers: reader,
        },
      )
    ).status,
  ).toBe(200);
});

it("ends a page of readings before it outgrows the answer, and next_from continues after it", async () => {
  const measures = Object.fromEntries(
    Array.from({ length: 64 }, (_, i) => [`channel_${i}_value_mean`, 12345.678901 + i]),
  );
  const rows: QueryRow[] = Array.from({ length: 10_000 }, (_, i) => ({
    turbine_id: "big",
    time_ms: 1_794_913_600_000 + i * 1000,
    power_kw: 1000,
    wind_speed_ms: 8,
    status: "producing",
    version: 1,
    ...measures,
  }));
  const answer = await appOver(rows).request("/v1/turbines/big/measurements?limit=10000", {
    headers: reader,
  });
  expect(answer.status).toBe(200);
  const text = await answer.text();
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
  const body = JSON.parse(text) as { readings: { time: string }[]; next_from: string | null };
  expect(body.readings.length).toBeGreaterThan(100);
  expect(body.readings.length).toBeLessThan(10_000);
  const last = body.readings.at(-1) as { time: string };
  expect(body.next_from).toBe(new Date(Date.parse(last.time) + 1).toISOString());
});
