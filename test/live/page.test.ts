// The live page in real Debian Chromium against the real server while the simulator sends in
// realtime: its numbers move as readings are stored and match /v1/live/snapshot, the turbines
// that --fail stops show up as alarms, a click shows a turbine's last readings, and nothing is
// requested from anywhere but the server. Its charts are Vega-Lite's, drawn by Vega in the page:
// round ticks, tooltips, labels that do not collide, colour-blind-safe colours. One browser for the
// file. The screenshot is kept in test-artifacts/live.png.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Browser, Page } from "playwright-core";
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
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
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
  await browser.close();
});

const POLL = { timeout: 20_000, interval: 200 };
const numberIn = async (page: Page, id: string) =>
  Number(await page.locator(`#${id}`).getAttribute("data-value"));
// Okabe and Ito's palette (and the greys): what every chart mark may be filled or stroked with.
const OKABE_ITO = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"];

/** The text of a chart's axis labels that Vega shows (it hides colliding ones), with their boxes. */
async function axisLabels(page: Page, chart: string, axis: "X" | "Y") {
  return page
    .locator(`#${chart} g.role-axis[aria-label^="${axis}-axis"] g.role-axis-label text`)
    .evaluateAll((texts) =>
      texts
        .filter((text) => text.getAttribute("opacity") !== "0")
        .map((text) => {
          const box = text.getBoundingClientRect();
          // Vega writes each label's size as an attribute ("12px").
          const size = Number.parseFloat(text.getAttribute("font-size") ?? "0");
          return {
            text: text.textContent ?? "",
            left: box.left,
            right: box.right,
            top: box.top,
            bottom: box.bottom,
            size,
          };
        }),
    );
}

/** Labels of one axis overlap nowhere; each is drawn at 12 px or more; all inside the chart. */
async function expectLegibleAxes(page: Page, chart: string) {
  const frame = await page.locator(`#${chart} svg`).evaluate((svg) => {
    const box = svg.getBoundingClientRect();
    return { left: box.left, right: box.right, top: box.top, bottom: box.bottom };
  });
  for (const axis of ["X", "Y"] as const) {
    const labels = await axisLabels(page, chart, axis);
    expect(labels.length, `${chart} ${axis}`).toBeGreaterThan(0);
    for (const [i, a] of labels.entries()) {
      expect(a.size).toBeGreaterThanOrEqual(12);
      expect(a.left).toBeGreaterThanOrEqual(frame.left - 0.5);
      expect(a.right).toBeLessThanOrEqual(frame.right + 0.5);
      expect(a.bottom).toBeLessThanOrEqual(frame.bottom + 0.5);
      for (const b of labels.slice(i + 1)) {
        const apart =
          a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
        expect(apart, `${chart}: "${a.text}" and "${b.text}" overlap`).toBe(true);
      }
    }
  }
}

/** Every coloured fill and stroke of a chart's marks is in Okabe and Ito's palette. */
async function expectColourBlindSafe(page: Page, chart: string) {
  const colours = await page
    .locator(`#${chart} g.role-mark path`)
    .evaluateAll((paths) =>
      paths.flatMap((path) => [path.getAttribute("fill"), path.getAttribute("stroke")]),
    );
  const coloured = colours
    .filter((c): c is string => !!c && c !== "none" && c !== "transparent")
    .map((c) => c.toLowerCase())
    .filter((c) => !/^#([0-9a-f]{2})\1\1$/.test(c) && !c.startsWith("#3b4652"));
  expect(coloured.length).toBeGreaterThan(0);
  for (const colour of coloured) expect(OKABE_ITO).toContain(colour);
}

it("shows the fleet live, with the stopped turbines' alarms, from its own server only", async () => {
  const stopped = failingTurbines(generateFleet().slice(0, TURBINES), 2);
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
  // Attached: with one minute so far the area has no width.
  await page.locator("#history g.mark-area path").waitFor({ state: "attached" });
  await expect
    .poll(() => page.locator("#provinces g.mark-rect path").count(), POLL)
    .toBeGreaterThan(0);

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
  // Each province's bar says its power (its aria-label): the snapshot's, to the kilowatt.
  const bars = await page
    .locator("#provinces g.mark-rect path")
    .evaluateAll((paths) => paths.map((path) => path.getAttribute("aria-label") ?? ""));
  expect(bars).toHaveLength(snapshot.provinces.length);
  for (const row of snapshot.provinces) {
    const bar = bars.find((label) => label.startsWith(`${row.province}: `));
    expect(Number(bar?.match(/: ([\d.]+) MW now/)?.[1])).toBeCloseTo(row.power_kw / 1000, 2);
  }
  await expectLegibleAxes(page, "history");
  await expectLegibleAxes(page, "provinces");
  await expectColourBlindSafe(page, "history");
  await expectColourBlindSafe(page, "provinces");

  mkdirSync("test-artifacts", { recursive: true });
  await page.screenshot({ path: "test-artifacts/live.png", fullPage: true });
  const origin = new URL(server.url).origin;
  expect(
    requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:")),
  ).toEqual([]);
  expect(errors).toEqual([]);
  await page.close();
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
    await watching.locator("#history g.mark-area path").waitFor();
    // The tooltip of the oldest minute (at the chart's left edge): its power and turbines.
    const plot = await watching.locator("#history g.mark-area path").boundingBox();
    if (!plot) throw new Error("no area drawn");
    await watching.mouse.move(plot.x + 1, plot.y + plot.height / 2);
    await expect
      .poll(() => watching.locator("#history").getAttribute("title"), POLL)
      .toMatch(/^minute: \d\d:\d\d\nMW: 2\.5\nturbines reporting: 3$/);
    // Round ticks: a step of 1, 2 or 5 times a power of ten from 0, the axis ending on one.
    const ticks = (await axisLabels(watching, "history", "Y")).map((label) => Number(label.text));
    const step = (ticks[1] ?? 0) - (ticks[0] ?? 0);
    expect(ticks[0]).toBe(0);
    expect(ticks.every((tick, i) => Math.abs(tick - i * step) < 1e-9)).toBe(true);
    expect(step / 10 ** Math.floor(Math.log10(step))).toBeOneOf([1, 2, 5]);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(2.46);
  } finally {
    await restarted.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
