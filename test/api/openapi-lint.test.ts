// The OpenAPI document is what client generators read: it must pass Redocly's `recommended`
// rules (operationIds, security on every operation, 4xx responses, servers, …), linted here with
// @redocly/openapi-core offline, exactly as `redocly lint` would with no config.
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

// The one warning allowed: the project has not chosen a license yet, and the document must not
// claim one.
const ALLOWED_WARNINGS = new Set(["info-license"]);

it("passes redocly lint's recommended rules with no errors and no other warnings", async () => {
  const source = await fetch(`${server.url}/openapi.json`).then((r) => r.text());
  const config = await createConfig({ extends: ["recommended"] });
  const problems = await lintFromString({ source, absoluteRef: "openapi.json", config });
  const described = problems
    .filter((p) => p.severity === "error" || !ALLOWED_WARNINGS.has(p.ruleId))
    .map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? "?"}`);
  expect(described).toEqual([]);
});
