// The least a 20-measure reading can cost more than a plain one in the two parts of gust's write
// path that are not gust's own code: V8's JSON.parse of the bench's own bodies, and DuckDB
// storing 20 more DOUBLE columns (one per measure, as the store lays them out) when SQL feeds it
// without any JavaScript. Each runs alone in this process, plain and wide taking turns. Set
// against `ingest`'s goal (a 20-measure reading at most 2x a plain one over HTTP), they show how
// much of a wide reading's cost is left to gust's own code.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { STATUS_TYPE } from "../../api/store/duckdb-readings-table.ts";
import type { BenchFigure, Benchmark } from "./figure.ts";
import { BATCH, batchBody, TWENTY_MEASURES, wideBatchBody } from "./ingest.ts";

const ROUNDS = 3;

/** µs a reading to decode and JSON.parse a 500-reading body, best of 30 passes of 20 bodies. */
function parseCost(body: (n: number) => string): number {
  const bodies = Array.from({ length: 20 }, (_, n) => Buffer.from(body(n)));
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 30; pass++) {
    const began = performance.now();
    for (const bytes of bodies) JSON.parse(bytes.toString("utf8"));
    best = Math.min(best, ((performance.now() - began) * 1000) / (bodies.length * BATCH));
  }
  return best;
}

const GROUP = 16_384;
const GROUPS = 30;

/**
 * µs of this process's CPU (DuckDB's threads included) a row, for groups of 16,384 readings
 * inserted by SQL into a file and committed: the columns of the store's reading rows, and one
 * DOUBLE column per measure.
 */
async function duckDbCost(dir: string, measures: number): Promise<number> {
  const instance = await DuckDBInstance.create(join(dir, `floor-${measures}-${Date.now()}.duckdb`));
  const connection = await instance.connect();
  try {
    const names = Object.keys(TWENTY_MEASURES).slice(0, measures);
    const values = Object.values(TWENTY_MEASURES).slice(0, measures);
    await connection.run(
      `CREATE TABLE reading_rows (turbine_key INTEGER, time TIMESTAMP, power_kw DOUBLE,
         wind_speed_ms DOUBLE, status ${STATUS_TYPE}, status_code INTEGER, version INTEGER
         ${names.map((name) => `, ${name} DOUBLE`).join("")})`,
    );
    let rows = 0;
    const group = async () => {
      await connection.run(
        `INSERT INTO reading_rows SELECT (i % 770)::INTEGER,
           TIMESTAMP '2026-01-01' + to_milliseconds(${rows} + i), 1234.5, 9.1, 'producing', NULL, 1
           ${values.map((value) => `, ${value}`).join("")}
         FROM range(${GROUP}) r(i)`,
      );
      rows += GROUP;
    };
    await group();
    const cpu = process.cpuUsage();
    for (let g = 0; g < GROUPS; g++) await group();
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / (GROUPS * GROUP);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const best = (values: number[]) => Math.min(...values);

export const bench: Benchmark = async (log) => {
  const dir = mkdtempSync(join(tmpdir(), "gust-bench-floors-"));
  try {
    log(
      `ingest-floors: JSON.parse and DuckDB alone, plain and 20-measure readings, ${ROUNDS} turns...`,
    );
    const parse = { plain: [] as number[], wide: [] as number[] };
    const duck = { plain: [] as number[], wide: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      parse.plain.push(parseCost((n) => batchBody(n)));
      parse.wide.push(parseCost((n) => wideBatchBody(n)));
      duck.plain.push(await duckDbCost(dir, 0));
      duck.wide.push(await duckDbCost(dir, 20));
    }
    const [parsePlain, parseWide, duckPlain, duckWide] = [
      best(parse.plain),
      best(parse.wide),
      best(duck.plain),
      best(duck.wide),
    ];
    log(
      `  JSON.parse: plain ${parsePlain.toFixed(2)} µs, 20 measures ${parseWide.toFixed(2)} µs a reading`,
    );
    log(
      `  DuckDB by SQL: plain ${duckPlain.toFixed(2)} µs, 20 measures ${duckWide.toFixed(2)} µs CPU a row`,
    );
    const figures: BenchFigure[] = [
      { name: "JSON.parse alone, plain reading (best)", value: parsePlain, unit: "µs" },
      {
        name: "JSON.parse alone, 20-measure reading (best)",
        value: parseWide,
        unit: "µs",
        ratio: { value: parseWide / parsePlain, of: "a plain reading" },
      },
      { name: "DuckDB alone by SQL, plain reading row (CPU, best)", value: duckPlain, unit: "µs" },
      {
        name: "DuckDB alone by SQL, row with 20 measure columns (CPU, best)",
        value: duckWide,
        unit: "µs",
        ratio: { value: duckWide / duckPlain, of: "a plain reading" },
      },
      {
        name: "what 20 measures add in JSON.parse and DuckDB alone (CPU)",
        value: parseWide - parsePlain + (duckWide - duckPlain),
        unit: "µs",
      },
    ];
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
