// `npm run bench [name...]`: runs every benchmark in test/bench (or the named ones) in this one
// process, one after another, and prints all figures as one table with their ratios and targets.
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchFigure, Benchmark } from "./figure.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
// Modules here that are not benchmarks themselves (servers the benchmarks start as children).
const SUPPORT = new Set(["figure.ts", "run.ts", "load.ts"]);
const isSupport = (file: string) => SUPPORT.has(file) || file.endsWith("-server.ts");

const wanted = process.argv.slice(2);
const names = readdirSync(HERE)
  .filter((file) => file.endsWith(".ts") && !isSupport(file))
  .map((file) => basename(file, ".ts"))
  // A name also runs its family: `analysis` runs analysis.ts and analysis-wind.ts.
  .filter(
    (name) => wanted.length === 0 || wanted.some((w) => name === w || name.startsWith(`${w}-`)),
  )
  .sort();
if (names.length === 0) {
  console.error(`No benchmark named ${wanted.join(", ")}. Known: ${readdirSync(HERE).join(", ")}`);
  process.exit(2);
}

const rows: (BenchFigure & { benchmark: string })[] = [];
for (const name of names) {
  console.log(`\n== ${name}`);
  const module = (await import(pathToFileURL(join(HERE, `${name}.ts`)).href)) as {
    bench: Benchmark;
  };
  const started = performance.now();
  const figures = await module.bench((line) => console.log(`  ${line}`));
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  rows.push(...figures.map((figure) => ({ ...figure, benchmark: name })));
}

function formatValue(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en");
  return value.toPrecision(3);
}

const table = rows.map((row) => ({
  benchmark: row.benchmark,
  figure: row.name,
  value: `${formatValue(row.value)} ${row.unit}`,
  ratio: row.ratio ? `${(row.ratio.value * 100).toFixed(1)}% of ${row.ratio.of}` : "",
  target: row.target ? `${row.target.met ? "met" : "MISSED"}: ${row.target.text}` : "",
}));
const columns = ["benchmark", "figure", "value", "ratio", "target"] as const;
const widths = columns.map((column) =>
  Math.max(column.length, ...table.map((row) => row[column].length)),
);
const line = (cells: readonly string[]) =>
  cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ");
console.log(`\n${line(columns)}\n${line(widths.map((w) => "-".repeat(w)))}`);
for (const row of table) console.log(line(columns.map((column) => row[column])));
