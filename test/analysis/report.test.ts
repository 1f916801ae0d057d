// The HTML report in real headless Chromium: every chart present and drawn, no console errors,
// and no request beyond the file itself. Its layout measured in the page at 1400 px: no sideways
// scrolling, no "null" cell, a legend on every chart, no name cut short, no colliding labels, and
// the default period the data's span.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { parquetMetadata } from "hyparquet";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runAnalysis } from "../../notebooks/lib/run-analysis.ts";
import { runSimulation } from "../../simulator/run.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";
import { launchChromium, watchPage } from "../support/chromium.ts";

const silent = () => new Writable({ write: (_chunk, _encoding, done) => done() });
let server: TestServer;
const HOUR = 3_600_000;
const to = Math.floor(Date.now() / 60_000) * 60_000;
const outDir = mkdtempSync(join(tmpdir(), "gust-report-"));
beforeAll(async () => {
  server = await startTestServer();
  await runSimulation({
    target: server.url,
    mode: "replay",
    turbines: 60,
    from: to - 2 * HOUR,
    to,
    keySecret: TEST_SECRET,
    out: silent(),
  });
});
afterAll(async () => {
  await server.stop();
  rmSync(outDir, { recursive: true, force: true });
});

it("writes CSVs and a report whose charts all render offline in Chromium", async () => {
  const result = await runAnalysis({
    store: server.store,
    registry: server.registry,
    outDir,
    parquet: true,
    out: silent(),
  });
  // The default period: the data's span exactly, to one reporting interval (1 minute) after the
  // last reading.
  const stored = (
    await server.store.select(
      "SELECT min(epoch_ms(time)) AS first_ms, max(epoch_ms(time)) AS last_ms FROM readings",
    )
  )[0] as { first_ms: number; last_ms: number };
  expect(result.range).toEqual({
    from: Number(stored.first_ms),
    to: Number(stored.last_ms) + 60_000,
  });
  expect(result.csvPaths.map((p) => p.split("/").pop()).sort()).toEqual([
    "availability.csv",
    "bottom_projects.csv",
    "completeness.csv",
    "energy.csv",
    "fleet_power.csv",
    "iec_power_curves.csv",
    "power_curve.csv",
    "project_power.csv",
    "projects.csv",
    "provinces.csv",
    "top_projects.csv",
    "underperformance.csv",
  ]);
  // --parquet: the same tables as Parquet files.
  expect(result.parquetPaths).toHaveLength(result.csvPaths.length);
  expect(
    readFileSync(result.parquetPaths[0] as string)
      .subarray(0, 4)
      .toString(),
  ).toBe("PAR1");
  // As hyparquet reads them: fleet power's time a UTC timestamp, its turbines an integer.
  const fleetPower = readFileSync(join(outDir, "fleet_power.parquet"));
  const columns = parquetMetadata(
    fleetPower.buffer.slice(fleetPower.byteOffset, fleetPower.byteOffset + fleetPower.length),
  ).schema;
  expect(columns.find((c) => c.name === "time")?.logical_type).toEqual({
    type: "TIMESTAMP",
    isAdjustedToUTC: true,
    unit: "MICROS",
  });
  expect(columns.find((c) => c.name === "turbines")?.type).toBe("INT64");
  // Every chart of the report also as a PNG file.
  expect(result.pngPaths.map((p) => p.split("/").pop()).sort()).toEqual([
    "availability-map.png",
    "fleet-power.png",
    "lost-energy.png",
    "model-power-curves.png",
    "power-curve.png",
    "project-map.png",
    "project-power.png",
    "underperformance.png",
  ]);
  for (const path of result.pngPaths) {
    expect(readFileSync(path).subarray(1, 4).toString(), path).toBe("PNG");
  }
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const { requests, errors } = watchPage(page);
    const url = pathToFileURL(result.reportPath as string).href;
    await page.goto(url);
    for (const id of [
      "fleet-power",
      "project-power",
      "project-map",
      "power-curve",
      "model-power-curves",
      "underperformance",
      "lost-energy",
      "availability-map",
    ]) {
      const chart = page.locator(`figure#${id} svg`);
      const box = await chart.boundingBox();
      expect(box?.width, id).toBeGreaterThan(200);
      expect(box?.height, id).toBeGreaterThan(100);
      // Drawn marks, not an empty frame: paths for lines, areas and bars, circles as paths too.
      expect(
        await page
          .locator(
            `figure#${id} svg .mark-line path, figure#${id} svg .mark-area path, figure#${id} svg .mark-rect path, figure#${id} svg .mark-symbol path, figure#${id} svg .mark-shape path`,
          )
          .count(),
        id,
      ).toBeGreaterThan(0);
    }
    // Power per project: a panel of power over time for each of the 12 largest, and the bars.
    expect(await page.locator("figure#project-power svg .mark-area path").count()).toBe(12);
    expect(await page.locator("figure#project-power svg .mark-rect path").count()).toBe(40);
    expect(await page.locator("table").count()).toBeGreaterThanOrEqual(8);
    // The fleet map: the twelve province outlines, a turbine per registered project, the
    // outlines' attribution.
    expect(await page.locator("figure#availability-map svg .mark-shape path").count()).toBe(12);
    expect(
      await page.locator("figure#availability-map svg .mark-symbol path").count(),
    ).toBeGreaterThan(50);
    expect(await page.locator("figure#availability-map").textContent()).toContain("CC BY 4.0");
    // Lost energy: stacked bars of three causes.
    expect(await page.locator("figure#lost-energy svg .mark-rect path").count()).toBeGreaterThan(0);
    await expectLegibleLayout(page);
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/report.png", fullPage: true });
    copyFileSync(result.reportPath as string, "test-artifacts/report.html");
  } finally {
    await browser.close();
  }
});

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface Layout {
  pageWidth: number;
  tables: number[];
  badCells: string[];
  charts: { id: string; legends: number; cut: string[]; axes: (Box & { text: string })[][] }[];
}

/** The report as read at 1400 px: what an analyst trips over, measured in the page. */
async function expectLegibleLayout(page: Page) {
  // Run in the page as text: this project's TypeScript has no DOM types.
  const layout = (await page.evaluate(`(() => {
    const box = (element) => {
      const r = element.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    };
    const visible = (text) =>
      text.getAttribute("opacity") !== "0" && (text.textContent ?? "").trim() !== "";
    return {
      pageWidth: document.documentElement.scrollWidth,
      tables: [...document.querySelectorAll("table")].map((table) => box(table).right),
      badCells: [...document.querySelectorAll("td")]
        .map((cell) => cell.textContent?.trim() ?? "")
        .filter((text) => /^(null|undefined|NaN)$/.test(text)),
      charts: [...document.querySelectorAll("figure.chart")].map((figure) => ({
        id: figure.id,
        legends: figure.querySelectorAll("g.role-legend").length,
        // Every text Vega drew for axes and legends: a name cut short ends with its ellipsis.
        cut: [
          ...figure.querySelectorAll(
            "g.role-axis-label text, g.role-legend-label text, g.role-title-text text",
          ),
        ]
          .filter(visible)
          .map((text) => text.textContent ?? "")
          .filter((text) => text.endsWith("…")),
        // Each axis's labels, as drawn.
        axes: [...figure.querySelectorAll("g.role-axis")].map((axis) =>
          [...axis.querySelectorAll("g.role-axis-label text")].filter(visible).map((text) => ({
            text: text.textContent ?? "",
            ...box(text),
          })),
        ),
      })),
    };
  })()`)) as Layout;
  expect(layout.pageWidth).toBeLessThanOrEqual(1400);
  for (const right of layout.tables) expect(right).toBeLessThanOrEqual(1400);
  expect(layout.badCells).toEqual([]);
  for (const chart of layout.charts) {
    expect(chart.legends, `${chart.id}: a legend`).toBeGreaterThan(0);
    expect(chart.cut, `${chart.id}: names cut short`).toEqual([]);
    for (const labels of chart.axes) {
      for (const [i, a] of labels.entries()) {
        for (const b of labels.slice(i + 1)) {
          const apart =
            a.right <= b.left + 0.5 ||
            b.right <= a.left + 0.5 ||
            a.bottom <= b.top + 0.5 ||
            b.bottom <= a.top + 0.5;
          expect(apart, `${chart.id}: "${a.text}" and "${b.text}" collide`).toBe(true);
        }
      }
    }
  }
}
