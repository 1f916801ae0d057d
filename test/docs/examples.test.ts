// Every shell example in README.md and docs/ runs, page by page, against a real local server on
// loopback, and prints what the page shows (the convention: CONTRIBUTING.md, "Examples in the
// docs"). A page's blocks share one bash, so a variable comes from the page's own earlier blocks.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { startLocalServer } from "../../api/server.ts";
import { matchesExpected, type Step, shellBlocks, steps, tidy } from "./examples.ts";

const ROOT = join(import.meta.dirname, "../..");
const DOCS = join(ROOT, "docs");
const PAGE_TIMEOUT_MS = 300_000;
const DOCUMENTED_URL = "http://127.0.0.1:3000";

const pages = [
  join(ROOT, "README.md"),
  ...readdirSync(DOCS, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(DOCS, name)),
];

describe("the convention's reader", () => {
  it("splits a block into steps at its #> lines and reads not-run markers", () => {
    const [run, skipped] = shellBlocks(
      "text\n```sh\nA=1\necho $A\n#> 1\n#> …\necho x\n```\n```json\n{}\n```\n```sh\n# not run: needs AWS\naws s3 ls\n```\n",
    );
    expect(run?.notRun).toBeUndefined();
    expect(steps(run as never)).toEqual([
      { line: 3, commands: "A=1\necho $A", expected: ["1", "…"] },
      { line: 7, commands: "echo x" },
    ]);
    expect(skipped?.notRun).toBe("needs AWS");
  });

  it("matches exactly but for … and trailing spaces, and fails on a changed answer", () => {
    const shown = ['{"accepted":1,"key":"gust.t.…","rejected":[]}'];
    expect(matchesExpected('{"accepted":1,"key":"gust.t.abc.def","rejected":[]}  \n', shown)).toBe(
      true,
    );
    expect(matchesExpected('{"accepted":0,"key":"gust.t.abc.def","rejected":[]}', shown)).toBe(
      false,
    );
    expect(matchesExpected("a\nb\nc", ["a", "…"])).toBe(true);
    expect(matchesExpected("a\nb", ["a"])).toBe(false);
  });
});

describe("docs pages", () => {
  it("are each linked from the README", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const unlinked = readdirSync(DOCS)
      .filter((name) => name.endsWith(".md"))
      .filter((name) => !readme.includes(`docs/${name}`));
    expect(unlinked, "add these to the README's Documentation table").toEqual([]);
  });
});

describe("examples", () => {
  for (const page of pages) {
    const name = relative(ROOT, page);
    const blocks = shellBlocks(readFileSync(page, "utf8"));
    const unexplained = blocks.filter((b) => b.notRun === "");
    const runnable = blocks.filter((b) => b.notRun === undefined);
    if (blocks.length === 0) continue;

    it(`${name}: every block runs or says why not`, () => {
      expect(
        unexplained.map((b) => `${name}:${b.line}`),
        "write the reason after `# not run:`",
      ).toEqual([]);
    });

    if (runnable.length === 0) continue;
    it(
      `${name}: its examples answer what the page shows`,
      async () => {
        const pageSteps = runnable.flatMap(steps);
        const dataDir = mkdtempSync(join(tmpdir(), "gust-docs-"));
        const server = await startLocalServer({ dataDir, port: 0, host: "127.0.0.1", env: {} });
        const before = new Set(readdirSync(ROOT));
        try {
          const run = await runPage(pageSteps, server.url, dataDir);
          pageSteps.forEach((step, index) => {
            const where = `${name}:${step.line}`;
            if (index >= run.outputs.length) {
              expect.fail(
                `${where} failed (bash exit ${run.code}):\n${step.commands}\n--- stderr ---\n${run.stderr.slice(-3000)}`,
              );
            }
            const output = run.outputs[index] ?? "";
            if (step.expected && !matchesExpected(output, step.expected)) {
              expect.fail(
                `${where}: the page shows\n${step.expected.join("\n")}\nbut it printed\n${tidy(output)}\n--- commands ---\n${step.commands}\n--- stderr ---\n${run.stderr.slice(-2000)}`,
              );
            }
          });
        } finally {
          await server.close();
          rmSync(dataDir, { recursive: true, force: true });
          // Files a page writes (a CSV to import, a Parquet export) land in the repository root;
          // new directories are left alone (other test files may be making theirs).
          for (const entry of readdirSync(ROOT, { withFileTypes: true })) {
            if (!before.has(entry.name) && entry.isFile()) rmSync(join(ROOT, entry.name));
          }
        }
      },
      PAGE_TIMEOUT_MS,
    );
  }
});

interface PageRun {
  /** What each step printed, for the steps that ran to their end. */
  outputs: string[];
  code: number | null;
  stderr: string;
}

const SENTINEL = "@@gust-docs-step@@";

/** Runs a page's steps in one bash and splits its output per step. */
function runPage(pageSteps: Step[], url: string, dataDir: string): Promise<PageRun> {
  const script = [
    "set -euo pipefail",
    ...pageSteps.flatMap((step) => [
      step.commands.replaceAll(DOCUMENTED_URL, url),
      `printf '\\n${SENTINEL}\\n'`,
    ]),
  ].join("\n");
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("npm_") && key !== "API_KEY_SECRET") env[key] = value;
  }
  const port = new URL(url).port;
  Object.assign(env, {
    DATA_DIR: dataDir,
    HOST: "127.0.0.1",
    PORT: port,
    GUST_TARGET: url,
    NO_COLOR: "1",
  });
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const parts = stdout.split(`\n${SENTINEL}\n`);
      resolve({ outputs: parts.slice(0, -1), code, stderr });
    });
  });
}
