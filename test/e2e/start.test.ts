// `npm start`, scaled down, as a newcomer runs it: a child process, its output, the
// verification, the report file, and a clean Ctrl-C.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { DUCKDB_FILE_NAME, openDuckDbStore } from "../../api/store/duckdb-store.ts";

const dir = mkdtempSync(join(tmpdir(), "gust-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(dataDir: string, args: string[], until?: string) {
  const child = spawn(process.execPath, ["--import", "tsx", "simulator/demo.ts", ...args], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: "0", API_KEY_SECRET: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const reached = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (until && output.includes(until)) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return { child, reached, exited, output: () => output };
}

it("replays, verifies, analyses, writes the report, and exits when asked", async () => {
  const out = join(dir, "reports");
  const run = start(join(dir, "data"), ["--projects", "5", "--hours", "1", "--exit", "--out", out]);
  expect(await run.exited).toBe(0);
  const output = run.output();
  for (const heading of [
    "== 1/4 API",
    "== 2/4 replay: 5 projects",
    "== 3/4 verification",
    "== 4/4 analysis",
  ]) {
    expect(output).toContain(heading);
  }
  expect(output).toMatch(/sent 300 \| accepted 300 \| duplicates 0 \| rejected none \| failed 0/);
  expect(output).toContain(
    "verified: all 300 acknowledged readings of 5 turbines are stored exactly once",
  );
  expect(output).toContain("Power per province");
  expect(output).toContain("OK: every acknowledged reading is stored exactly once");
  const report = join(out, "report.html");
  expect(output).toContain(`report:  ${report}`);
  expect(existsSync(report)).toBe(true);
  // Four charts of power and production, four of the wind analyses (the registry is provisioned).
  expect(readFileSync(report, "utf8").match(/<svg/g)?.length).toBe(8);
  expect(output).toContain("availability: ");
  // The secret was created once under the data directory, private to its owner.
  expect(existsSync(join(dir, "data", "api-key-secret"))).toBe(true);
});

it("keeps the API up until Ctrl-C, then closes everything cleanly", async () => {
  const run = start(
    join(dir, "data2"),
    ["--projects", "3", "--hours", "1", "--out", join(dir, "reports2")],
    "Ctrl-C stops it.",
  );
  await Promise.race([
    run.reached,
    run.exited.then((code) => Promise.reject(new Error(`exited ${code}: ${run.output()}`))),
  ]);
  const url = run.output().match(/The API is still running on (http:\/\/\S+)/)?.[1];
  expect(url).toBeDefined();
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  // The live page's URL, with the reader key in its fragment; the replay is on it.
  const key = run.output().match(/ live: +http:\/\/\S+\/live#key=(gust\.rd\.\S+)/)?.[1];
  expect(key).toBeDefined();
  expect((await fetch(`${url}/live`)).headers.get("content-type")).toContain("text/html");
  const snapshot = (await (
    await fetch(`${url}/v1/live/snapshot`, { headers: { authorization: `Bearer ${key}` } })
  ).json()) as { turbines: unknown[]; history: { points: unknown[] } };
  expect(snapshot.turbines).toHaveLength(3);
  expect(snapshot.history.points.length).toBeGreaterThanOrEqual(55);
  run.child.kill("SIGINT");
  expect(await run.exited).toBe(130);
  // The DuckDB file was closed: another process can open it now, with the replay's readings.
  const store = await openDuckDbStore({
    path: join(dir, "data2", DUCKDB_FILE_NAME),
    writeWindow: { maxAgeMs: 1, maxFutureMs: 1 },
  });
  try {
    const [row] = await store.select("SELECT count(*) AS n FROM readings");
    expect(row?.n).toBe(180);
  } finally {
    await store.close();
  }
});
