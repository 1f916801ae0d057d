// Acknowledged readings the DuckDB file refuses for a reason that retrying cannot fix are set
// aside here, never dropped and never allowed to block the readings around them. The quarantine
// is a JSON-lines file beside the DuckDB file (gust.duckdb.quarantine.jsonl) that an operator can
// read, each line one reading (or one unreadable ingest-log line) with the reason, where it came
// from and when. /healthz counts them and the log names each one.
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { PRIVATE_FILE_MODE } from "../private-files.ts";
import { systemClock } from "../time/clock.ts";
import type { Reading } from "./port.ts";

export interface QuarantineEntry {
  reason: string;
  /** "apply" (a running server) or "recovery" (the ingest log at start). */
  source: "apply" | "recovery";
  /** The ingest log file and 1-based line the reading was recovered from. */
  file?: string;
  line?: number;
  reading?: Reading;
  /** An ingest-log line that holds no reading the store could take, as it was. */
  raw?: string;
}

export class Quarantine {
  private constructor(
    readonly path: string,
    private entries: number,
    private readonly now: () => number,
    private readonly log: (message: string) => void,
  ) {}

  static open(
    path: string,
    now: () => number = systemClock.now,
    log: (message: string) => void = (message) => console.error(message),
  ): Quarantine {
    const count = existsSync(path)
      ? readFileSync(path, "utf8")
          .split("\n")
          .filter((line) => line !== "").length
      : 0;
    return new Quarantine(path, count, now, log);
  }

  /** Readings and lines set aside since the file was created (operators empty it by hand). */
  get count(): number {
    return this.entries;
  }

  /** Appends the entries durably, then logs each. */
  add(entries: readonly QuarantineEntry[]): void {
    if (entries.length === 0) return;
    const at = new Date(this.now()).toISOString();
    const text = entries.map((entry) => `${JSON.stringify({ at, ...entry })}\n`).join("");
    const fd = openSync(this.path, "a", PRIVATE_FILE_MODE);
    try {
      writeSync(fd, text);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.entries += entries.length;
    for (const entry of entries) {
      const what = entry.reading
        ? `reading ${entry.reading.turbine_id} at ${new Date(entry.reading.time).toISOString()}`
        : "a log line";
      const where = entry.file ? ` (${entry.file} line ${entry.line})` : "";
      this.log(`gust: quarantined ${what}${where}: ${entry.reason}; see ${this.path}`);
    }
  }
}

// Failures that say nothing about the readings: the disk, memory, the file itself. A batch that
// fails so is retried whole; anything else is the readings' own doing.
const TRANSIENT =
  /IO Error|Out of Memory|No space|ENOSPC|EIO|EDQUOT|EROFS|disk|invalidated|closed|Interrupt|lock/i;

export function isTransientFailure(error: unknown): boolean {
  return TRANSIENT.test(error instanceof Error ? error.message : String(error));
}

/**
 * Applies the items in one go; when that fails for a reason that is not transient, splits them
 * in halves and applies each, down to the single items that fail alone, which are handed to
 * `refuse` with the error. A transient failure is thrown: nothing is refused for it. `applied`
 * hears of each part that is in the file, so that a retry after a transient failure skips it.
 */
export async function applySplittingFailures<T>(
  items: readonly T[],
  apply: (items: readonly T[]) => Promise<void>,
  refuse: (item: T, error: unknown) => void,
  applied: (items: readonly T[]) => void = () => undefined,
): Promise<void> {
  if (items.length === 0) return;
  try {
    await apply(items);
    applied(items);
    return;
  } catch (error) {
    if (isTransientFailure(error)) throw error;
    if (items.length === 1) {
      refuse(items[0] as T, error);
      return;
    }
  }
  const half = Math.ceil(items.length / 2);
  await applySplittingFailures(items.slice(0, half), apply, refuse, applied);
  await applySplittingFailures(items.slice(half), apply, refuse, applied);
}

export function failureText(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}
