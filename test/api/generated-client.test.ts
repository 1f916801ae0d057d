// A gateway engineer generates a client from the served document with openapi-typescript and
// writes ordinary code against it: that code must compile under strict TypeScript, and a payload
// the server refuses (tags on a reading) must not.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), "gust-client-"));
  const document = await fetch(`${server.url}/openapi.json`).then((r) => r.text());
  writeFileSync(join(dir, "gust.ts"), astToString(await openapiTS(document)));
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const USE = `import type { components, paths } from "./gust.ts";
type Answer = paths["/v1/turbines/{turbine_id}/measurements"]["get"]["responses"][200]["content"]["application/json"];
declare const answer: Answer;
export const energy: number = answer.readings.reduce((s, r) => s + r.power_kw, 0);
declare const turbine: components["schemas"]["TurbineStatus"];
export const last: number | undefined = turbine.last_reading?.power_kw;
export const registration: components["schemas"]["TurbineDescription"] = {
  project: "Windpark Oost", model: "V90", rated_kw: 2000, latitude: 52.1, longitude: 5.2,
  tags: { province: "Gelderland" },
};
export const reading: components["schemas"]["Reading"] = {
  turbine_id: "nl-0042-t03", power_kw: 1830.5, wind_speed_ms: 9.4, time: "2026-11-23T10:00:00Z",
};
`;

const TAGS_ON_A_READING = `import type { components } from "./gust.ts";
export const reading: components["schemas"]["Reading"] = {
  turbine_id: "nl-0042-t03", power_kw: 1830.5, wind_speed_ms: 9.4, tags: {},
};
`;

/** tsc --strict --noEmit over files beside the generated client; each file's errors as `line: text`. */
function typeErrors(files: Record<string, string>): Record<string, string[]> {
  const paths = Object.entries(files).map(([name, source]) => {
    writeFileSync(join(dir, name), source);
    return join(dir, name);
  });
  const program = ts.createProgram(paths, {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    types: [],
  });
  const errors: Record<string, string[]> = Object.fromEntries(
    Object.keys(files).map((n) => [n, []]),
  );
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = d.file ? (d.file.fileName.split("/").pop() as string) : "?";
    const line =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    errors[name] = [
      ...(errors[name] ?? []),
      `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
    ];
  }
  return errors;
}

let errors: Record<string, string[]>;
beforeAll(() => {
  errors = typeErrors({ "use.ts": USE, "tags.ts": TAGS_ON_A_READING });
});

it("compiles everyday use of the generated types: sums of readings, a turbine's last reading, tags", () => {
  expect(errors["use.ts"]).toEqual([]);
  expect(errors["gust.ts"] ?? []).toEqual([]);
});

it("refuses at compile time what the server refuses: tags on a reading", () => {
  expect(errors["tags.ts"]).toHaveLength(1);
  expect(errors["tags.ts"]?.[0]).toMatch(/^3: Type '\{\}' is not assignable to type 'undefined'/);
});

it("names an absolute base URL first, the server it was fetched from", async () => {
  const doc = (await fetch(`${server.url}/openapi.json`).then((r) => r.json())) as {
    servers: { url: string }[];
  };
  expect(doc.servers.map((s) => s.url)).toEqual([server.url, "/"]);
});
