// Realtime mode against the real local API: every turbine reports each interval, the run stops
// at --duration or on Ctrl-C (the abort signal) with whole ticks sent and every reading
// accounted for; progress is a redrawn bar on a terminal.
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runSimulation, type SimulationOptions } from "../../simulator/run.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";
import { ManualClock } from "../support/manual-clock.ts";

// One clock for the server and the simulator: realtime ticks wait on it, and the test moves it
// from timer to timer instead of waiting.
const clock = new ManualClock(Date.now());
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock });
});
afterAll(async () => {
  await server.stop();
});

function captured(isTTY = false): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  stream.isTTY = isTTY;
  stream.text = () => chunks.join("");
  return stream;
}

const realtime = (turbines: number): SimulationOptions => ({
  target: server.url,
  mode: "realtime",
  turbines,
  intervalMs: 400,
  keySecret: TEST_SECRET,
  verify: true,
  clock,
});

describe("realtime", () => {
  it("reports every turbine at each interval until the duration", async () => {
    const out = captured();
    // Ticks at 0, 400 and 800 ms of a 1000 ms run: three readings per turbine.
    const report = await clock.runUntil(runSimulation({ ...realtime(4), durationMs: 1000, out }));
    if (!report) throw new Error("no report");
    expect(report.readings).toMatchObject({
      planned: null,
      sent: 12,
      accepted: 12,
      failed: 0,
      rejected: {},
    });
    expect(report.verification).toMatchObject({ ok: true, checked: 12, turbines: 4 });
    const byTurbine = await Promise.all(
      ["nl-0001", "nl-0002", "nl-0003", "nl-0004"].map((id) => server.stored(id)),
    );
    for (const stored of byTurbine) {
      const times = stored.map((r: { time: number | bigint }) => Number(r.time));
      expect(times).toHaveLength(3);
      const [first = 0] = times;
      expect(times).toEqual([first, first + 400, first + 800]);
    }
    // Open-ended: plain progress lines without an ETA.
    expect(out.text()).toMatch(/sent 12 \| ack 12 \| dup 0 \| rejected 0 \| failed 0/);
    expect(out.text()).not.toContain("ETA");
  });

  it("stops on Ctrl-C after whole ticks, with every reading sent accounted for", async () => {
    const controller = new AbortController();
    // Ctrl-C 900 ms (of the clock) after the first readings reach the store: the registry
    // requests before them take real I/O, which the clock must not run past.
    const writes = vi.spyOn(server.store, "write");
    const run = runSimulation({
      ...realtime(3),
      operator: true,
      batch: 10,
      signal: controller.signal,
      out: captured(),
    });
    await clock.runUntil(() => writes.mock.calls.length > 0, { what: "the first readings" });
    writes.mockRestore();
    clock.setTimeout(() => controller.abort(), 900);
    const report = await clock.runUntil(run);
    if (!report) throw new Error("no report");
    const r = report.readings;
    expect(r.sent).toBeGreaterThanOrEqual(3);
    expect(r.sent % 3).toBe(0);
    expect(r.accepted + r.duplicates).toBe(r.sent);
    expect(r.failed).toBe(0);
    expect(report.verification?.ok).toBe(true);
  });
});

describe("progress on a terminal", () => {
  it("redraws one line with a bar that ends full", async () => {
    const to = Math.floor(clock.now() / 60_000) * 60_000 - 5 * 3_600_000;
    const out = captured(true);
    await runSimulation({
      target: server.url,
      mode: "replay",
      turbines: 2,
      from: to - 600_000,
      to,
      keySecret: TEST_SECRET,
      out,
      clock,
    });
    const text = out.text();
    expect(text).toContain("\r\x1b[2K[");
    expect(text).toMatch(/\[#{24}\] 100% sent 20 \| ack 20 .*ETA 0s\n$/);
  });
});
