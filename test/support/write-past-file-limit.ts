// A process whose files may not grow past a limit (run under `ulimit -f`), as on a full disk: a
// group too large for the log must fail without leaving part of its line behind, and the log must
// take the next group as usual. Prints each write's outcomes or error, then dies by SIGKILL.
// Usage: write-past-file-limit.ts <duckdb path> <epoch ms>
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { storeReading } from "./store-reading.ts";

const [path, at] = process.argv.slice(2);
const readings = (turbine: string, count: number): Reading[] =>
  Array.from({ length: count }, (_, i) =>
    storeReading({
      turbine_id: turbine,
      time: Number(at) + i * 1000,
      tags: { project: "Full Disk Park" },
    }),
  );

const store = await openDuckDbStore({
  path: path as string,
  writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 900_000 },
});
for (const [turbine, count] of [
  ["before", 2],
  ["too-large", 1500],
  ["after", 2],
] as const) {
  try {
    const outcomes = await store.write(readings(turbine, count));
    console.log(`${turbine}: ${outcomes.filter((o) => o === "accepted").length} accepted`);
  } catch (error) {
    console.log(`${turbine}: ${(error as Error).name}`);
  }
}
process.kill(process.pid, "SIGKILL");
