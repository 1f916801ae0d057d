// The power-per-project notebook, run as an analyst runs it: a child process on a DATA_DIR.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDuckDbRegistry } from "../../api/registry/duckdb-registry.ts";
import { DUCKDB_FILE_NAME, openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "gust-notebook-"));
const HOUR = 3_600_000;
const start = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;

// Project "Duo" has two turbines at 1000 and 500 kW, "Solo" one at 500 kW, every 5 minutes for
// an hour: Duo makes 1.5 MWh of the fleet's 2 MWh (75%), Solo 0.5 MWh (25%).
beforeAll(async () => {
  const store = await openDuckDbStore({
    path: join(dir, DUCKDB_FILE_NAME),
    writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 0 },
  });
  const readings: Reading[] = [];
  for (const [turbine_id, power_kw] of [
    ["duo-1", 1000],
    ["duo-2", 500],
    ["solo-1", 500],
  ] as const) {
    for (let t = start; t < start + HOUR; t += 300_000) {
      readings.push({
        turbine_id,
        time: t,
        power_kw,
        wind_speed_ms: 9,
        status: "producing",
        version: 1,
        status_code: null,
        measures: {},
        tags: {},
      });
    }
  }
  await store.write(readings);
  // What the analysis knows of each turbine comes from the registry in the same file.
  const connection = await store.connect();
  const registry = await openDuckDbRegistry(connection);
  await registry.putMany(
    ["duo-1", "duo-2", "solo-1"].map((turbine_id) => ({
      turbine_id,
      description: {
        name: null,
        project: turbine_id.startsWith("duo") ? "Duo" : "Solo",
        model: null,
        rated_kw: 2000,
        hub_height_m: null,
        rotor_diameter_m: null,
        latitude: null,
        longitude: null,
        commissioned: null,
        tags: { province: "Utrecht" },
      },
    })),
  );
  connection.closeSync();
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("prints total power and power per project, and writes the CSV and the report", async () => {
  const out = join(dir, "out");
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "notebooks/power-per-project.ts", "--from", String(start), "--out", out],
    { env: { ...process.env, DATA_DIR: dir, STORE: "duckdb" } },
  );
  const row = (project: string) =>
    stdout
      .split("\n")
      .find((line) => line.trim().startsWith(project))
      ?.trim()
      .split(/\s+/);
  // project, mean_mw, peak_mw, energy_mwh, share_pct
  expect(row("Duo")).toEqual(["Duo", "1.5", "1.5", "1.5", "75"]);
  expect(row("Solo")).toEqual(["Solo", "0.5", "0.5", "0.5", "25"]);
  expect(stdout).toContain("Total power (MW)");
  expect(readFileSync(join(out, "power_per_project.csv"), "utf8").split("\n")[0]).toBe(
    "time,project,power_mw,energy_mwh,turbines",
  );
  const report = readFileSync(join(out, "report.html"), "utf8");
  expect(report.match(/<svg/g)).toHaveLength(2);
  expect(report).toContain("2 projects, 2.0 MWh in the range");
});
