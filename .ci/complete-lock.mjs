// The npm registry this project's machines reach serves only the Linux builds of some
// platform-specific optional packages (Biome's CLI, DuckDB's bindings). `npm install` then leaves
// the other platforms out of package-lock.json, and `npm ci` refuses a lock file that lacks
// them. This adds each missing one as an optional entry for its own os/cpu: npm never fetches
// it on a machine of another platform. Idempotent; run before `npm ci`.
import { readFileSync, writeFileSync } from "node:fs";

const LOCK = new URL("../package-lock.json", import.meta.url);
const PLATFORMS = {
  "android-arm64": { os: ["android"], cpu: ["arm64"] },
  "android-x64": { os: ["android"], cpu: ["x64"] },
  "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "linux-arm64": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
  "win32-arm64": { os: ["win32"], cpu: ["arm64"] },
  "win32-x64": { os: ["win32"], cpu: ["x64"] },
};

const lock = JSON.parse(readFileSync(LOCK, "utf8"));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const platform = Object.keys(PLATFORMS).find((p) => name.endsWith(`-${p}`));
    // Other optional dependencies resolve as npm placed them; only platform builds are patched.
    if (lock.packages[key] || !platform || path.includes("/node_modules/", 1)) continue;
    lock.packages[key] = {
      version: range,
      ...PLATFORMS[platform],
      optional: true,
      ...(entry.dev ? { dev: true } : {}),
    };
    added++;
  }
}
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: ${added} platform package(s) recorded`);
