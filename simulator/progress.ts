// Live progress for long runs: one redrawn line with a bar on a terminal, plain periodic lines
// elsewhere (CI logs, files, `npm start` capturing output).
import type { Writable } from "node:stream";
import { type Clock, systemClock } from "../api/time/clock.ts";
import type { SimulationStats } from "./stats.ts";

export interface ProgressSink {
  update(stats: SimulationStats, final?: boolean): void;
}

const PLAIN_EVERY_MS = 2000;

export function progressSink(
  out: Writable & { isTTY?: boolean; columns?: number },
  clock: Clock = systemClock,
): ProgressSink {
  let lastPlain = 0;
  return {
    update(stats, final = false) {
      const line = describe(stats);
      if (out.isTTY) {
        const bar = stats.planned
          ? `${progressBar(stats.acknowledged + stats.rejected + stats.failed, stats.planned, 24)} `
          : "";
        out.write(`\r\x1b[2K${bar}${line}${final ? "\n" : ""}`);
      } else if (final || clock.now() - lastPlain >= PLAIN_EVERY_MS) {
        lastPlain = clock.now();
        out.write(`${line}\n`);
      }
    },
  };
}

function progressBar(done: number, total: number, width: number): string {
  const filled = Math.min(width, Math.round((done / Math.max(1, total)) * width));
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${((done / Math.max(1, total)) * 100).toFixed(0).padStart(3)}%`;
}

function describe(stats: SimulationStats): string {
  const n = (value: number) => value.toLocaleString("en");
  const parts = [
    `sent ${n(stats.sent)}`,
    `ack ${n(stats.acknowledged)}`,
    `dup ${n(stats.duplicates)}`,
    `rejected ${n(stats.rejected)}`,
    `failed ${n(stats.failed)}`,
    `${n(Math.round(stats.rate))}/s`,
    `p50 ${stats.p50Ms.toFixed(1)} ms p99 ${stats.p99Ms.toFixed(1)} ms`,
  ];
  if (stats.etaSeconds !== null) parts.push(`ETA ${formatSeconds(stats.etaSeconds)}`);
  return parts.join(" | ");
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
