// The OpenAPI document comes from the validating schemas, and /docs renders it in a real browser
// with every asset served by gust itself.
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchChromium, watchPage } from "../support/chromium.ts";
import { startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

it("serves an OpenAPI 3.1 document of the contract", async () => {
  const doc: any = await fetch(`${server.url}/openapi.json`).then((r) => r.json());
  expect(doc.openapi).toBe("3.1.0");
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining([
      "/v1/measurements",
      "/v1/turbines/{turbine_id}/measurements",
      "/healthz",
    ]),
  );
  const ingest = doc.paths["/v1/measurements"].post;
  expect(Object.keys(ingest.responses).sort()).toEqual([
    "200",
    "400",
    "401",
    "403",
    "413",
    "415",
    "422",
    "503",
  ]);
  const reading = doc.components.schemas.Reading;
  expect(reading.required).toEqual(["turbine_id", "power_kw", "wind_speed_ms"]);
  expect(reading.properties.turbine_id.pattern).toBe("^[A-Za-z0-9._:-]{1,64}$");
  expect(reading.properties.wind_speed_ms).toMatchObject({ minimum: 0, maximum: 100 });
  expect(reading.properties.status.enum).toEqual([
    "producing",
    "idle",
    "curtailed",
    "fault",
    "maintenance",
  ]);
  expect(reading.additionalProperties).toBe(false);
  expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
    type: "http",
    scheme: "bearer",
  });
});

it("renders /docs in Chromium from gust's own assets, with no console errors", async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const { requests, errors } = watchPage(page);
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector(".opblock-summary-path", { timeout: 20_000 });
    const paths = await page.locator(".opblock-summary-path").allInnerTexts();
    expect(paths.map((p) => p.replace(/\u200b/g, ""))).toEqual(
      expect.arrayContaining(["/v1/measurements", "/v1/turbines/{turbine_id}/measurements"]),
    );
    expect(
      requests.filter((url) => !url.startsWith(server.url) && !url.startsWith("data:")),
    ).toEqual([]);
    expect(errors).toEqual([]);
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/docs.png", fullPage: false });
  } finally {
    await browser.close();
  }
});
