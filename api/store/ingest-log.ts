// The embedded store's ingest log: what makes a 200 durable without a DuckDB commit per request.
//
// Each group of accepted readings is appended to the log as one JSON line and fdatasync'ed before
// any request in the group is answered. The readings reach the DuckDB file later, many groups in
// one insert (a DuckDB commit costs about a millisecond of CPU however few rows it holds). The
// log is cut into segments: a segment is deleted once every group in it is in the DuckDB file,
// and on open the segments left by a crash are applied again.
import { closeSync, fdatasync, ftruncateSync, openSync, writeSync } from "node:fs";
import { open, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensurePrivateDir, PRIVATE_FILE_MODE } from "../private-files.ts";
import type { Reading } from "./port.ts";

const SEGMENT = /^segment-(\d{10})\.jsonl$/;
const datasync = promisify(fdatasync);

function segmentName(number: number): string {
  return `segment-${String(number).padStart(10, "0")}.jsonl`;
}

/** The readings of one log line, as the store keeps them. */
export type LoggedGroup = Reading[];

export class IngestLog {
  /** The current segment's file descriptor, opened on the first append to it. */
  private fd: number | undefined;
  /** Bytes of whole lines in the current segment. */
  private size = 0;
  private segment: number;

  private constructor(
    private readonly dir: string,
    lastSegment: number,
  ) {
    this.segment = lastSegment + 1;
  }

  /** Opens the log directory; `recover` answers what earlier processes logged and left. */
  static async open(dir: string): Promise<IngestLog> {
    ensurePrivateDir(dir);
    const numbers = await segmentNumbers(dir);
    return new IngestLog(dir, numbers.at(-1) ?? 0);
  }

  /**
   * The groups in the segments that a previous process left, oldest first. A line cut short by
   * a crash was never acknowledged (its fdatasync had not returned) and is skipped.
   */
  async recover(): Promise<{ groups: LoggedGroup[]; segments: number[] }> {
    const segments = (await segmentNumbers(this.dir)).filter((n) => n < this.segment);
    const groups: LoggedGroup[] = [];
    for (const number of segments) {
      const text = await readFile(join(this.dir, segmentName(number)), "utf8");
      for (const line of text.split("\n")) {
        if (line === "") continue;
        try {
          groups.push((JSON.parse(line) as LoggedGroup).map(wideReading));
        } catch {
          // An unacknowledged tail: the process died while writing it.
        }
      }
    }
    return { groups, segments };
  }

  /**
   * Appends one group (a JSON array of readings) and returns once it is on disk. When it fails
   * (a full disk, an I/O error) the line is cut off again, so that the log holds only groups
   * that were acknowledged or are being acknowledged, each on a line of its own.
   */
  async append(groupJson: string): Promise<void> {
    if (this.fd === undefined) {
      this.fd = openSync(join(this.dir, segmentName(this.segment)), "a", PRIVATE_FILE_MODE);
      this.size = 0;
      // The new file's directory entry must be on disk too, or a crash could lose the file.
      await syncDirectory(this.dir);
    }
    const fd = this.fd;
    const line = `${groupJson}\n`;
    try {
      // Into the page cache at once (microseconds; a trip through libuv's thread pool, which
      // DuckDB's queries share, can take milliseconds), then to the disk off the event loop.
      const written = writeSync(fd, line);
      if (written !== Buffer.byteLength(line)) throw new Error("the disk took part of a log line");
      await datasync(fd);
      this.size += written;
    } catch (error) {
      ftruncateSync(fd, this.size);
      throw error;
    }
  }

  /**
   * Ends the current segment: later appends go to a new one. Returns the segments that hold
   * everything appended so far, to delete once all of it is in the DuckDB file.
   */
  rotate(): number[] {
    const fd = this.fd;
    if (fd === undefined) return [];
    const ended = this.segment;
    this.fd = undefined;
    this.segment++;
    closeSync(fd);
    return [ended];
  }

  async remove(segments: readonly number[]): Promise<void> {
    for (const number of segments) {
      await rm(join(this.dir, segmentName(number)), { force: true });
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A logged reading as the port shapes it; a log left by a release before the wide reading lacks
 * status_code and measures. */
function wideReading(reading: Reading): Reading {
  return { ...reading, status_code: reading.status_code ?? null, measures: reading.measures ?? {} };
}

async function segmentNumbers(dir: string): Promise<number[]> {
  const numbers: number[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT.exec(name);
    if (match?.[1]) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
