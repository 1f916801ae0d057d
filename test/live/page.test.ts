// The live page in real Debian Chromium against the real server while the simulator sends in
// realtime: its numbers move as readings are stored and match /v1/live/snapshot, the turbines
// that --fail stops show up as alarms, a click shows a turbine's last readings, and nothing is
// requested from anywhere but the server. The screenshot is kept in test-artifacts/live.png.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateFleet } from "../../simulator/fleet.ts";
import { failingTurbines, runSimulation } from "../../simulator/run.ts";
import { reading, startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";
import { launchChromium, watchPage } from "../support/chromium.ts";

const TURBINES = 40;
const silent = () => new Writable({ write: (_chunk, _encoding, done) => done() });
let server: TestServer;
const simulator = new AbortController();
let simulation: Promise<unknown>;
beforeAll(async () => {
  server = await startTestServer({ env: { ALARM_SILENT_INTERVALS: "3" } });
  simulation = runSimulation({
    target: server.url,
    mode: "realtime",
    turbines: TURBINES,
    intervalMs: 1000,
    fail: 2,
    keySecret: TEST_SECRET,
    signal: simulator.signal,
    out: silent(),
  });
});
afterAll(async () => {
  simulator.abort();
  await simulation;
  await server.stop();
});

const POLL = { timeout: 20_000, interval: 200 };
const numberIn = async (page: import("playwright-core").Page, id: string) =>
  Number(await page.locator(`#${id}`).getAttribute("data-value"));

it("shows the fleet live, with the stopped turbines' alarms, from its own server only", async () => {
  const stopped = failingTurbines(generateFleet().slice(0, TURBINES), 2);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const { requests, errors } = watchPage(page);
    await page.goto(`${server.url}/live#key=${server.readerKey}`);
    // The key left the address bar at once.
    expect(page.url()).toBe(`${server.url}/live`);
    await expect.poll(() => numberIn(page, "readings-total"), POLL).toBeGreaterThan(0);
    const firstTotal = await numberIn(page, "readings-total");
    await expect
      .poll(() => numberIn(page, "readings-total"), POLL)
      .toBeGreaterThan(firstTotal + TURBINES);
    expect(await page.locator("#connection").getAttribute("data-state")).toBe("live");
    expect(await page.locator("#map path.province").count()).toBe(12);
    await expect.poll(() => page.locator("#turbine-marks circle").count(), POLL).toBe(TURBINES);
    expect(await numberIn(page, "fleet-power")).toBeGreaterThan(0);
    expect(await page.locator("#history path.line").count()).toBe(1);
    expect(await page.locator("#provinces .row").count()).toBeGreaterThan(0);

    // The turbines --fail stopped go silent: their alarms appear without a reload.
    for (const turbine of stopped) {
      await page
        .locator(`#alarms li[data-rule="silent"][data-turbine="${turbine}"]`)
        .waitFor({ timeout: 20_000 });
    }

    // Click a turbine: its last readings.
    await page.locator('#turbine-marks circle[data-turbine="nl-0001"]').click();
    await page.locator("#turbine-readings tr").first().waitFor();
    expect(await page.locator("#turbine-name").textContent()).toBe("nl-0001");

    // Stop sending; once the last batch is out, the page's numbers are the snapshot's.
    simulator.abort();
    await simulation;
    await page.waitForTimeout(800);
    const snapshot = (await server.get("/v1/live/snapshot")).body;
    expect(await numberIn(page, "readings-total")).toBe(snapshot.fleet.readings_total);
    expect(await numberIn(page, "turbines-reporting")).toBe(snapshot.fleet.turbines_reporting);
    expect(await numberIn(page, "fleet-power")).toBeCloseTo(snapshot.fleet.power_kw, 0);
    const pageAlarms = await page
      .locator("#alarms li")
      .evaluateAll((items) => items.map((item) => item.getAttribute("data-alarm-id")));
    expect(pageAlarms).toEqual(snapshot.alarms.map((a: { id: string }) => a.id));
    for (const row of snapshot.provinces) {
      const shown = await page
        .locator(`#provinces .row[data-province="${row.province}"]`)
        .getAttribute("data-value");
      expect(Number(shown)).toBeCloseTo(row.power_kw, 0);
    }

    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/live.png", fullPage: true });
    const origin = new URL(server.url).origin;
    expect(
      requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:")),
    ).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});

it("after a restart draws the store's power history, with round ticks and tooltips; says it waits for a key", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "gust-live-restart-"));
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const first = await startTestServer({ dataDir });
  // Two hours of three turbines, a reading a minute, sent before the restart.
  const readings = [];
  for (let minute = 120; minute >= 1; minute--) {
    for (const turbine of ["h-1", "h-2", "h-3"]) {
      readings.push(reading(turbine, 0, { time: now - minute * 60_000, power_kw: 700 + minute }));
    }
  }
  for (let i = 0; i < readings.length; i += 1000) {
    expect((await first.post({ readings: readings.slice(i, i + 1000) })).status).toBe(200);
  }
  await first.stop();
  const restarted = await startTestServer({ dataDir });
  const browser = await launchChromium();
  try {
    const history = (await restarted.get("/v1/live/snapshot")).body.history.points;
    expect(history).toHaveLength(120);
    expect(history[0]).toMatchObject({ power_kw: 3 * 820, turbines: 3 });

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${restarted.url}/live`);
    await expect
      .poll(() => page.locator("#connection").textContent(), POLL)
      .toBe("waiting for a reader key (below)");
    await page.close();
    const watching = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await watching.goto(`${restarted.url}/live#key=${restarted.readerKey}`);
    await watching.locator("#history path.line").waitFor();
    expect(await watching.locator("#history rect.hover").count()).toBe(120);
    expect(await watching.locator("#history rect.hover title").first().textContent()).toMatch(
      /: 2\.5 MW from 3 turbines$/,
    );
    // Ticks 0, 1, 2, 3 (MW): a round step, the axis ending on one.
    const ticks = await watching.locator("#history text.tick").allTextContents();
    expect(ticks).toEqual(["0", "1", "2", "3"]);
  } finally {
    await browser.close();
    await restarted.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
