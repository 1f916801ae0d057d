// A clean install runs only the install scripts the project declares (npm's allowScripts), and
// none that calls out: Scarf's install-time analytics (via swagger-ui-dist) is denied and opted out.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync("package.json", "utf8"));

it("declares every installed package's install scripts: npm finds none unreviewed", async () => {
  // The same check npm ci warns from; offline, it reads node_modules and the lock file.
  const { stdout } = await run("npm", ["approve-scripts", "--allow-scripts-pending"], {
    env: { ...process.env, npm_config_offline: "true" },
  });
  expect(stdout.trim()).toBe("No packages with unreviewed install scripts.");
});

it("denies Scarf's install-time analytics twice: npm skips its script, and Scarf's own opt-out", () => {
  expect(manifest.allowScripts["@scarf/scarf"]).toBe(false);
  expect(manifest.scarfSettings).toEqual({ enabled: false });
  // Only build steps are allowed, none of which reaches the network when its binary is installed.
  const allowed = Object.entries(manifest.allowScripts).filter(([, allow]) => allow !== false);
  expect(allowed.map(([name]) => name)).toEqual(["esbuild"]);
});
