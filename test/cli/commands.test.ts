// The commands a newcomer types, as child processes: keys, analyze, simulate --help.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { roleKey, verifyKey } from "../../api/auth/keys.ts";
import { startLocalServer } from "../../api/server.ts";
import { runSimulation } from "../../simulator/run.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "gust-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function command(script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", script, ...args], {
      env: { ...process.env, API_KEY_SECRET: "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run keys", () => {
  it("prints keys that verify against the secret it created under DATA_DIR", async () => {
    const dataDir = join(dir, "keys");
    const turbine = await command("api/keys-cli.ts", ["nl-0042"], { DATA_DIR: dataDir });
    const reader = await command("api/keys-cli.ts", ["--role", "reader"], { DATA_DIR: dataDir });
    expect(turbine.code).toBe(0);
    const secret = readFileSync(join(dataDir, "api-key-secret"), "utf8").trim();
    expect(verifyKey(secret, turbine.stdout.trim())).toEqual({
      role: "turbine",
      turbineId: "nl-0042",
      keyGeneration: 1,
    });
    expect(verifyKey(secret, reader.stdout.trim())).toEqual({ role: "reader", keyGeneration: 1 });
  });

  it("explains a bad turbine id or role, with exit status 2", async () => {
    const bad = await command("api/keys-cli.ts", ["not a turbine"], {
      DATA_DIR: join(dir, "keys"),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"not a turbine" is not a turbine id');
    const role = await command("api/keys-cli.ts", ["--role", "admin"], {
      DATA_DIR: join(dir, "keys"),
    });
    expect(role.stderr).toContain("--role must be operator or reader");
  });
});

describe("npm run keys after a rotation", () => {
  it("prints the current key, from the running server or from the file once it stopped", async () => {
    const dataDir = join(dir, "rotate");
    const secret = "rotate-secret-0123456789abcdef";
    const server = await startLocalServer({ dataDir, keySecret: secret });
    const env = { DATA_DIR: dataDir, API_KEY_SECRET: secret, PORT: new URL(server.url).port };
    try {
      const operator = { authorization: `Bearer ${roleKey(secret, "operator")}` };
      await fetch(`${server.url}/v1/turbines/rot-cli`, {
        method: "PUT",
        headers: { ...operator, "content-type": "application/json" },
        body: JSON.stringify({ rated_kw: 2000 }),
      });
      const rotated = await fetch(`${server.url}/v1/turbines/rot-cli/keys/rotate`, {
        method: "POST",
        headers: operator,
      }).then((r) => r.json() as Promise<{ key: string }>);
      const printed = await command("api/keys-cli.ts", ["rot-cli"], env);
      expect(printed.stdout.trim()).toBe(rotated.key);
    } finally {
      await server.close();
    }
    const fromFile = await command("api/keys-cli.ts", ["rot-cli"], env);
    expect(verifyKey(secret, fromFile.stdout.trim())).toMatchObject({ keyGeneration: 2 });
    const unregistered = await command("api/keys-cli.ts", ["never-registered"], env);
    expect(verifyKey(secret, unregistered.stdout.trim())).toMatchObject({ keyGeneration: 1 });
  });

  it("rotates role keys, through the running server or in the file, and prints the current ones", async () => {
    const dataDir = join(dir, "rotate-roles");
    const secret = "rotate-roles-secret-0123456789";
    const server = await startLocalServer({ dataDir, keySecret: secret });
    const env = { DATA_DIR: dataDir, API_KEY_SECRET: secret, PORT: new URL(server.url).port };
    try {
      const rotated = await command("api/keys-cli.ts", ["--rotate", "operator"], env);
      expect(rotated.code).toBe(0);
      expect(rotated.stderr).toContain("the operator key is now generation 2");
      expect(rotated.stdout.trim()).toBe(roleKey(secret, "operator", 2));
      // The old operator key no longer opens the server; the CLI finds the current one.
      const old = await fetch(`${server.url}/v1/turbines`, {
        headers: { authorization: `Bearer ${roleKey(secret, "operator")}` },
      });
      expect(old.status).toBe(401);
      const reader = await command("api/keys-cli.ts", ["--rotate", "reader"], env);
      expect(reader.stdout.trim()).toBe(roleKey(secret, "reader", 2));
    } finally {
      await server.close();
    }
    const fromFile = await command("api/keys-cli.ts", ["--rotate", "reader"], env);
    expect(fromFile.stdout.trim()).toBe(roleKey(secret, "reader", 3));
    const printed = await command("api/keys-cli.ts", ["--role", "operator"], env);
    expect(printed.stdout.trim()).toBe(roleKey(secret, "operator", 2));
    const missing = await command("api/keys-cli.ts", ["--rotate", "no-such-turbine"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('turbine "no-such-turbine" is not registered');
  });
});

describe("npm run analyze", () => {
  it("analyses the stored readings into tables, CSVs and a report, and says when the API holds the file", async () => {
    const dataDir = join(dir, "analyze");
    const server = await startLocalServer({ dataDir, keySecret: "cli-secret-0123456789abcdef" });
    const to = Math.floor(Date.now() / 60_000) * 60_000;
    await runSimulation({
      target: server.url,
      mode: "replay",
      turbines: 4,
      from: to - 3_600_000,
      to,
      keySecret: server.keySecret,
      out: new Writable({ write: (_c, _e, done) => done() }),
    });
    // The API is still running and holds the file (DuckDB lets one process open it): the
    // analysis reads through it, with progress on stderr, and finds what the file holds.
    const through = await command("notebooks/analyze.ts", ["--no-files"], {
      DATA_DIR: dataDir,
      PORT: new URL(server.url).port,
      API_KEY_SECRET: "cli-secret-0123456789abcdef",
    });
    expect(through.stderr).toContain(
      `reading through the gust server at ${server.url}, which holds the DuckDB file`,
    );
    expect(through.stderr).toMatch(/[\d,]+ readings read, up to .* \(100%\)/);
    expect(through.code).toBe(0);
    expect(through.stdout).toContain("Power per province");
    await server.close();
    const out = join(dir, "report");
    const analysis = await command("notebooks/analyze.ts", ["--out", out], { DATA_DIR: dataDir });
    expect(analysis.code).toBe(0);
    expect(analysis.stdout).toContain("Power per province");
    expect(analysis.stdout).toContain(`report: ${join(out, "report.html")}`);
    expect(readFileSync(join(out, "fleet_power.csv"), "utf8").split("\n")[0]).toBe(
      "time,power_mw,energy_mwh,turbines",
    );
  });
});

describe("npm run simulate", () => {
  it("documents every flag in --help, and refuses an unknown one", async () => {
    const help = await command("simulator/cli.ts", ["--help"]);
    for (const flag of [
      "--target",
      "--key-secret",
      "--operator",
      "--turbines",
      "--fleet",
      "--weather",
      "--mode",
      "--from",
      "--step",
      "--interval",
      "--duration",
      "--batch",
      "--concurrency",
      "--max-attempts",
      "--verify",
      "--report",
    ]) {
      expect(help.stdout).toContain(flag);
    }
    const unknown = await command("simulator/cli.ts", ["--turbine", "3"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--turbine'/);
  });
});
