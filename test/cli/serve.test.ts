// `npm run serve` as an operator types it: flags, --help, bad values and a busy port, as a child
// process, with the messages it prints. It runs what `npm run serve` runs: the build's JavaScript
// (infra/node-build.ts) with plain node, built once here into a folder of its own, so a module or
// a file the build leaves out fails here. (Other tests that start the server as a child, the
// durability ones among them, run api/serve.ts under tsx: they test the code, not its build.)
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildNode } from "../../infra/node-build.ts";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "gust-serve-"));
// Inside the repository, so that the built modules find node_modules as dist/ does.
const built = join(repo, "test-artifacts", `build-${process.pid}`);
const SERVE = join(built, "api/serve.js");
beforeAll(() => buildNode(built));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(built, { recursive: true, force: true });
});
const SECRET = "serve-secret-0123456789abcdef";

/** Runs serve to its exit (help and errors exit at once). */
async function serve(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [SERVE, ...args], {
      cwd: repo,
      env: { ...process.env, API_KEY_SECRET: SECRET, DATA_DIR: dir, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run serve", () => {
  it("documents its flags in --help", async () => {
    const help = await serve(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--port", "--host", "--data-dir", "--help", "PORT", "DATA_DIR"]) {
      expect(help.stdout).toContain(flag);
    }
  });

  it("runs built, listening where --port, --host and --data-dir say, over the environment", async () => {
    const dataDir = join(dir, "flags");
    const child = spawn(
      process.execPath,
      [SERVE, "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir],
      {
        cwd: repo,
        env: { ...process.env, API_KEY_SECRET: SECRET, PORT: "1", HOST: "::1", DATA_DIR: dir },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const banner = await new Promise<string>((done, fail) => {
      let text = "";
      child.stdout?.on("data", (chunk) => {
        text += chunk;
        if (text.includes("docs:")) done(text);
      });
      child.once("exit", (code) => fail(new Error(`serve exited with ${code}: ${text}`)));
    });
    const url = banner.match(/gust API on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    try {
      expect(banner).toContain(`(store: duckdb in ${dataDir})`);
      expect(url).toBeDefined();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // Files the built modules read beside themselves, and from node_modules.
      for (const path of ["/live", "/live/live.js", "/docs/swagger-ui.css"]) {
        expect((await fetch(`${url}${path}`)).status, path).toBe(200);
      }
    } finally {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
    }
  });

  it("says what is wrong with a port, a flag or PORT, and where the help is, without a stack trace", async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["--port", "abc"], {}, /^gust: --port must be a port number 0-65535, not "abc"\.\n/],
      [[], { PORT: "abc" }, /^gust: PORT must be a port number 0-65535, not "abc"\.\n/],
      [["--prot", "3005"], {}, /^gust: Unknown option '--prot'/],
      [["3005"], {}, /^gust: Unexpected argument '3005'/],
    ];
    for (const [args, env, message] of cases) {
      const answer = await serve(args, env);
      expect(answer.code).toBe(2);
      expect(answer.stderr).toMatch(message);
      expect(answer.stderr).toContain("See npm run serve -- --help");
      expect(answer.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("names a busy port and what to do about it", async () => {
    const busy: Server = createServer();
    await new Promise<void>((done) => busy.listen(0, "127.0.0.1", done));
    const { port } = busy.address() as { port: number };
    try {
      const answer = await serve(["--port", String(port), "--data-dir", join(dir, "busy")]);
      expect(answer.code).toBe(1);
      expect(answer.stderr).toContain(`port ${port} on 127.0.0.1 is taken`);
      expect(answer.stderr).toContain(`npm run serve -- --port ${port + 1}`);
      expect(answer.stderr).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  });
});
