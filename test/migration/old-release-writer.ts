// Run by test/migration/current-release.test.ts inside a copy of the release's store code
// (git show 2dfbf7d:api/store/...): writes readings into a DuckDB file exactly as that release
// did, then, with --leave-log, exits right after an acknowledged write so that its ingest log
// (the release's line format) is left behind for the new code to recover.
// @ts-nocheck -- imports the copied release code, which exists only in the test's temp dir.
import { openDuckDbStore } from "./api/store/duckdb-store.ts";

const [path, readingsJson, leaveLog] = process.argv.slice(2);
const batches = JSON.parse(readingsJson);
const store = await openDuckDbStore({
  path,
  writeWindow: { maxAgeMs: 30 * 86_400_000, maxFutureMs: 900_000 },
});
const outcomes = [];
for (const batch of batches) outcomes.push(await store.write(batch, Date.now()));
console.log(JSON.stringify(outcomes));
// The release applies its log to the file 50 ms after a write: exiting now leaves it in the log.
if (leaveLog === "--leave-log") process.exit(0);
await store.close();
