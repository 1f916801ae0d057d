// What the embedded store alone costs a reading, without HTTP, JSON or validation: what bounds
// the ingest goals of `ingest.ts` (500 readings a request against the app ceiling; a 20-measure
// reading against a plain one). Groups of 16,384 readings (the size the store's group commit
// takes under batch load) go into a DuckDbStore in a temp dir, committed straight to the DuckDB
// file as gateway batches are, first plain readings, then readings with 20 measures each.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading } from "../../api/store/port.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { TWENTY_MEASURES } from "./ingest.ts";

const GROUP = 16_384;
const GROUPS = Number(process.env.BENCH_STORE_GROUPS ?? 20);

/** µs of wall time and of this process's CPU (DuckDB's threads included) per reading. */
async function perReading(measures: Record<string, number>, dir: string) {
  const store = await openDuckDbStore({
    path: join(dir, `${Object.keys(measures).length}.duckdb`),
    writeWindow: { maxAgeMs: 30 * 86_400_000, maxFutureMs: 900_000 },
  });
  const start = Date.now() - 7 * 86_400_000;
  let k = 0;
  const reading = (): Reading => {
    const r: Reading = {
      turbine_id: `store-${k % 770}`,
      time: start + Math.floor(k / 770) * 1000,
      power_kw: 1234.5,
      wind_speed_ms: 9.1,
      status: "producing",
      status_code: null,
      version: 1,
      measures: { ...measures },
      tags: {},
    };
    k++;
    return r;
  };
  try {
    // One group to warm up (JIT, the file's first blocks), then the measured ones.
    await store.write(Array.from({ length: GROUP }, reading));
    const cpu = process.cpuUsage();
    const began = performance.now();
    for (let g = 0; g < GROUPS; g++) await store.write(Array.from({ length: GROUP }, reading));
    const wallUs = ((performance.now() - began) * 1000) / (GROUPS * GROUP);
    const used = process.cpuUsage(cpu);
    return { wallUs, cpuUs: (used.user + used.system) / (GROUPS * GROUP) };
  } finally {
    await store.close();
  }
}

export const bench: Benchmark = async (log) => {
  const dir = mkdtempSync(join(tmpdir(), "gust-bench-store-"));
  try {
    log(`ingest-store: ${GROUPS} groups of ${GROUP} readings into the DuckDB store, no HTTP...`);
    const plain = await perReading({}, dir);
    log(`  plain: ${plain.wallUs.toFixed(2)} µs wall, ${plain.cpuUs.toFixed(2)} µs CPU a reading`);
    const wide = await perReading(TWENTY_MEASURES, dir);
    log(
      `  20 measures: ${wide.wallUs.toFixed(2)} µs wall, ${wide.cpuUs.toFixed(2)} µs CPU a reading`,
    );
    const figures: BenchFigure[] = [
      { name: "DuckDB store alone, plain reading (wall)", value: plain.wallUs, unit: "µs" },
      { name: "DuckDB store alone, plain reading (CPU)", value: plain.cpuUs, unit: "µs" },
      {
        name: "DuckDB store alone, 20-measure reading (wall)",
        value: wide.wallUs,
        unit: "µs",
        ratio: { value: wide.wallUs / plain.wallUs, of: "a plain reading" },
      },
      {
        name: "DuckDB store alone, 20-measure reading (CPU)",
        value: wide.cpuUs,
        unit: "µs",
        ratio: { value: wide.cpuUs / plain.cpuUs, of: "a plain reading" },
      },
    ];
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
