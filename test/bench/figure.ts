// What every benchmark reports. `npm run bench` (test/bench/run.ts) runs each benchmark module
// in one process, one after another, and prints all figures as one table.

export interface BenchFigure {
  /** What was measured, e.g. "ingest, 1 reading/request, 64 connections". */
  name: string;
  value: number;
  unit: string;
  /** A ratio measured in the same run, e.g. against the bare node:http ceiling. */
  ratio?: { value: number; of: string };
  /** The target from the issue, in words, and whether this run met it. */
  target?: { text: string; met: boolean };
}

/** A benchmark module exports `bench`, which runs the measurement and returns its figures. */
export type Benchmark = (log: (line: string) => void) => Promise<BenchFigure[]>;
