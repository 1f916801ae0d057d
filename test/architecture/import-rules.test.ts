// The import rules (.dependency-cruiser.cjs, run by `npm run check`) refuse a back-edge or a
// cycle: a small tree of files with one forbidden import each is cruised with the project's rules.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cruise, type IConfiguration, type ICruiseResult } from "dependency-cruiser";
import { afterAll, describe, expect, it } from "vitest";

const config = createRequire(import.meta.url)("../../.dependency-cruiser.cjs") as IConfiguration;
const root = mkdtempSync(join(tmpdir(), "gust-import-rules-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes `files` (path to source) into a fresh folder and cruises it; the rules it breaks. */
async function broken(name: string, files: Record<string, string>): Promise<string[]> {
  const dir = join(root, name);
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  const { output } = await cruise(
    ["api", "simulator"].filter((d) => d in tops(files)),
    {
      baseDir: dir,
      validate: true,
      ruleSet: { forbidden: config.forbidden },
      doNotFollow: { path: "node_modules" },
      tsPreCompilationDeps: true,
    },
  );
  const result = output as ICruiseResult;
  return [...new Set(result.summary.violations.map((v) => v.rule.name))].sort();
}

function tops(files: Record<string, string>): Record<string, true> {
  return Object.fromEntries(Object.keys(files).map((p) => [p.split("/")[0], true]));
}

describe("import rules", () => {
  it("pass a tree whose imports point one way", async () => {
    expect(
      await broken("clean", {
        "api/routes/alarms.ts":
          'import { rule } from "../alarms/rules.ts";\nexport const r = rule;\n',
        "api/alarms/rules.ts": 'import { hub } from "../live/hub.ts";\nexport const rule = hub;\n',
        "api/live/hub.ts": "export const hub = 1;\n",
        "simulator/fleet.ts": 'import { hub } from "../api/live/hub.ts";\nexport const f = hub;\n',
      }),
    ).toEqual([]);
  });

  it("refuse the domain importing routes", async () => {
    expect(
      await broken("domain-routes", {
        "api/alarms/engine.ts": 'import type { D } from "../routes/deps.ts";\nexport type E = D;\n',
        "api/routes/deps.ts": "export type D = number;\n",
      }),
    ).toEqual(["domain-not-edge"]);
  });

  it("refuse api importing the simulator", async () => {
    expect(
      await broken("api-simulator", {
        "api/alarms/expected.ts":
          'import { m } from "../../simulator/models.ts";\nexport const e = m;\n',
        "simulator/models.ts": "export const m = 1;\n",
      }),
    ).toEqual(["api-not-outer"]);
  });

  it("refuse a lower domain folder importing a higher one", async () => {
    expect(
      await broken("layers", {
        "api/live/hub.ts": 'import type { E } from "../alarms/engine.ts";\nexport type H = E;\n',
        "api/alarms/engine.ts": "export type E = number;\n",
      }),
    ).toEqual(["layer-live"]);
  });

  it("refuse a cycle between two modules", async () => {
    expect(
      await broken("cycle", {
        "api/routes/a.ts": 'import { b } from "./b.ts";\nexport const a = () => b;\n',
        "api/routes/b.ts": 'import { a } from "./a.ts";\nexport const b = () => a;\n',
      }),
    ).toEqual(["no-cycle"]);
  });
});
