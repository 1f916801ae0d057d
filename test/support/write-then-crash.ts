// A process that opens the embedded store, has readings acknowledged, and dies by SIGKILL before
// they reach the DuckDB file: what a power cut right after a 200 leaves behind.
// Usage: write-then-crash.ts <duckdb path> <epoch ms>
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import { storeReading } from "./store-reading.ts";

const [path, at] = process.argv.slice(2);
const time = Number(at);
const reading = (turbine: string, offsetMs: number, version = 1, power = 100): Reading =>
  storeReading({
    turbine_id: turbine,
    time: time + offsetMs,
    power_kw: power,
    version,
    tags: { project: "Crash Park" },
  });

const store = await openDuckDbStore({
  path: path as string,
  writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 900_000 },
});
// In the file: version 1 of crash-1 at +0 (a query waits until acknowledged readings are in).
await store.write([reading("crash-1", 0)]);
await store.select("SELECT 1");
// Acknowledged, in the log only: version 2 replacing it, and ten new readings.
const outcomes = [
  ...(await store.write([reading("crash-1", 0, 2, 250)])),
  ...(await store.write(Array.from({ length: 10 }, (_, i) => reading("crash-2", i * 1000)))),
];
console.log(JSON.stringify(outcomes));
process.kill(process.pid, "SIGKILL");
