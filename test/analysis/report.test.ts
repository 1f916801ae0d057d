// The HTML report in real headless Chromium: every chart present and drawn, no console errors,
// and no request beyond the file itself.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { parquetMetadata } from "hyparquet";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runAnalysis } from "../../notebooks/lib/run-analysis.ts";
import { runSimulation } from "../../simulator/run.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";
import { launchChromium, watchPage } from "../support/chromium.ts";

const silent = () => new Writable({ write: (_chunk, _encoding, done) => done() });
let server: TestServer;
const outDir = mkdtempSync(join(tmpdir(), "gust-report-"));
beforeAll(async () => {
  server = await startTestServer();
  const to = Math.floor(Date.now() / 60_000) * 60_000;
  await runSimulation({
    target: server.url,
    mode: "replay",
    turbines: 60,
    from: to - 2 * 3_600_000,
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
    const page = await browser.newPage();
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
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/report.png", fullPage: true });
  } finally {
    await browser.close();
  }
});
