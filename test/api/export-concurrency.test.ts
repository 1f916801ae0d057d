// Exports are bounded in number at once: beyond MAX_CONCURRENT_EXPORTS a 503 with Retry-After,
// and a slot comes back when an export ends or its client goes away. The store's page query is
// held open by the test, so "running" is a fact of the test, not of timing.
import { describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { MAX_CONCURRENT_EXPORTS } from "../../api/routes/readings-export.ts";
import type { QueryRow, ReadingStore } from "../../api/store/port.ts";
import { ManualClock } from "../support/manual-clock.ts";

const SECRET = "s".repeat(32);

function heldStore() {
  const held: (() => void)[] = [];
  const store = {
    kind: "duckdb",
    tableRef: "readings",
    writeWindow: { maxAgeMs: 1, maxFutureMs: 1 },
    measureColumns: async () => new Set<string>(),
    select: async (sql: string): Promise<QueryRow[]> => {
      if (/count\(\*\)/.test(sql)) return [{ n: 1 }];
      // A page: answered (empty) only when the test lets it go.
      await new Promise<void>((resolve) => held.push(resolve));
      return [];
    },
  } as unknown as ReadingStore;
  return { store, held };
}

describe("GET /v1/readings/export, several at once", () => {
  it("answers 503 with Retry-After beyond the bound, and frees a slot when an export ends or is dropped", async () => {
    const { store, held } = heldStore();
    const app = createApp({ store, keySecret: async () => SECRET, clock: new ManualClock(1.8e12) });
    const get = () =>
      app.request("/v1/readings/export?from=now-1h", {
        headers: { authorization: `Bearer ${roleKey(SECRET, "reader")}` },
      });
    const running = [];
    for (let i = 0; i < MAX_CONCURRENT_EXPORTS; i++) running.push(await get());
    for (const answer of running) expect(answer.status).toBe(200);

    const refused = await get();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.headers.get("content-type")).toMatch(/problem\+json/);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(
      /at most 2 exports at once/,
    );

    // A client that goes away gives its slot back.
    await running[0]?.body?.cancel();
    const next = await get();
    expect(next.status).toBe(200);
    expect((await get()).status).toBe(503);

    // An export that ends does too.
    for (const release of held.splice(0)) release();
    expect(await running[1]?.text()).toMatch(/^turbine_id,time,/);
    expect(await next.text()).toMatch(/^turbine_id,time,/);
    const after = await get();
    expect(after.status).toBe(200);
    for (const release of held.splice(0)) release();
    await after.text();
  });
});
