// The embedded store's ingest log: what makes a 200 durable without a DuckDB commit per request.
//
// Each group of accepted readings is appended to the log as one JSON line and fdatasync'ed before
// any request in the group is answered. The readings reach the DuckDB file later, many groups in
// one insert (a DuckDB commit costs about a millisecond of CPU however few rows it holds). The
// log is cut into segments: a segment is deleted once every group in it is in the DuckDB file,
// and on open the segments left by a crash are applied again.
//
// Each line carries the CRC-32 of its JSON ("<8 hex digits> <json>"), so that recovery tells a
// line a crash cut short (the last of its file: never acknowledged) from a damaged line in the
// middle (acknowledged and lost), and says which file and line. Lines of logs written before the
// checksum start with "[" and are read as they are.
import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";
import { ensurePrivateDir, PRIVATE_FILE_MODE } from "../private-files.ts";
import { READING_STATUSES } from "../readings/limits.ts";
import { type Clock, systemClock } from "../time/clock.ts";
import { makeSpare, spareBytes, syncDirectory } from "./ingest-log-spare.ts";
import { type Reading, StoreUnavailableError } from "./port.ts";

const SEGMENT = /^segment-(\d{10})\.jsonl$/;
const datasync = promisify(fdatasync);

/**
 * A log segment ends (and is deleted once applied) when it holds this many bytes or is this old:
 * not at every apply, because a new segment is a new file, which a group would wait for unless
 * it was made ahead (ingest-log-spare.ts). What a restart replays stays small.
 */
export const SEGMENT_MAX_BYTES = 8 * 1024 * 1024;
export const SEGMENT_MAX_AGE_MS = 1_000;

/** While syncs on the event loop take longer than this on average, the next ones go to the pool... */
export const LOOP_SYNC_MAX_MS = 2;
/** ...for this long, after which the loop tries again. */
export const POOL_AFTER_SLOW_SYNCS_MS = 1000;
/** The weight of the latest sync in the average: a single slow one moves it by an eighth. */
const LATEST_WEIGHT = 1 / 8;
/**
 * A sync in the thread pool that has not answered after this long means a stalled disk: the
 * groups waiting for it are answered 503, and so is every append until it answers (the log is
 * "stalled"; see docs/adr for why the watchdog, and what it cannot bound).
 */
export const SYNC_DEADLINE_MS = 10_000;
/** After a sync that stalled, the log syncs in the pool for this long before trying the loop. */
export const POOL_AFTER_STALL_MS = 60_000;
/** What a write refused on a stalled disk is told to wait (Retry-After, seconds). */
export const STALLED_RETRY_AFTER_S = 5;

/**
 * Where the log's next fdatasync runs. On the event loop, the loop waits for the disk (a tenth
 * to a half of a millisecond here) but nothing passes between threads: handing the sync to
 * libuv's thread pool wakes a pool thread that, on a machine whose cores are busy, takes a core
 * from the loop, and then wakes the loop again, which cost 5-17 µs of the loop's CPU a request
 * and the wait of a thread switch. Every request of the group waits for the sync either way
 * (Redis syncs its append-only file on its one thread for `appendfsync always` too); what the
 * loop placement costs is the wait of other requests (reads, the live view), so while the
 * loop's syncs take longer than LOOP_SYNC_MAX_MS on average (a slow or busy disk; the odd slow
 * one while DuckDB commits beside the log does not count alone) the syncs of the next
 * POOL_AFTER_SLOW_SYNCS_MS go to the pool, where they keep the loop free.
 */
export class SyncPlacement {
  private poolUntil = 0;
  private averageMs = 0;
  /** Syncs under way in the pool: while one is, the disk may be stuck, so none goes on the loop. */
  private inPool = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  onLoop(): boolean {
    return this.inPool === 0 && this.now() >= this.poolUntil;
  }

  /** A sync went to the pool; the function returned notes that it answered. */
  startedInPool(): () => void {
    this.inPool++;
    const began = this.now();
    return () => {
      this.inPool--;
      if (this.now() - began < SYNC_DEADLINE_MS) return;
      this.poolUntil = Math.max(this.poolUntil, this.now() + POOL_AFTER_STALL_MS);
    };
  }

  /** Notes how long a sync on the loop took. */
  tookOnLoop(ms: number): void {
    this.averageMs += (ms - this.averageMs) * LATEST_WEIGHT;
    if (this.averageMs <= LOOP_SYNC_MAX_MS) return;
    this.poolUntil = this.now() + POOL_AFTER_SLOW_SYNCS_MS;
    this.averageMs = 0;
  }
}

function segmentName(number: number): string {
  return `segment-${String(number).padStart(10, "0")}.jsonl`;
}

/** The readings of one log line, as the store keeps them, and where the line is. */
export interface LoggedGroup {
  readings: Reading[];
  file: string;
  /** 1-based. */
  line: number;
}

/** A log line recovery could not take whole, and why. */
export interface LogLineProblem {
  file: string;
  line: number;
  /**
   * torn: cut short by a crash while being written, so never acknowledged (nothing lost).
   * lost: a whole line whose checksum or JSON is broken: acknowledged readings that cannot be read.
   * refused: a readable line that holds something other than readings (wrong shape).
   */
  kind: "torn" | "lost" | "refused";
  reason: string;
  raw: string;
}

/** A line as written: the CRC-32 of the JSON in hex, a space, the JSON. */
export function checksummedLine(json: string): string {
  return `${checksum(json)} ${json}\n`;
}

function checksum(json: string): string {
  return crc32(json).toString(16).padStart(8, "0");
}

const CHECKSUMMED = /^([0-9a-f]{8}) /;

export class IngestLog {
  /** The current segment's file descriptor, opened on the first append to it. */
  private fd: number | undefined;
  /** The current segment was a spare: its lines go over its zeros, at their offsets. */
  private overZeros = false;
  /**
   * The next segment's file, being made or made (ingest-log-spare.ts), null if it could not
   * be; undefined while none is. Only the next segment opens it, so nothing else writes there.
   */
  private spare: Promise<Spare | null> | undefined;
  /** Bytes of the last segment that ended: what the next spare is sized on. */
  private lastSegmentBytes: number | undefined;
  /** Bytes of whole lines in the current segment. */
  private size = 0;
  /** When the current segment was opened (epoch ms), 0 while none is open. */
  private openedAt = 0;
  private segment: number;
  /** Settles once every fdatasync on the current segment has: its file is closed only then. */
  private syncing: Promise<void> = Promise.resolve();
  /** Set once an fdatasync failed: the log takes nothing more (see append). */
  private syncFailure: Error | undefined;
  private readonly placement = new SyncPlacement();
  /** The syncs under way in the pool, each with when it began and how to fail its waiters. */
  private readonly poolSyncs = new Set<PoolSync>();
  /** Set while a sync in the pool is past SYNC_DEADLINE_MS: appends are refused (503). */
  private stalledError: StoreUnavailableError | undefined;

  private constructor(
    private readonly dir: string,
    lastSegment: number,
    private readonly clock: Clock,
    private readonly syncDeadlineMs: number,
  ) {
    this.segment = lastSegment + 1;
  }

  /** Opens the log directory; `recover` answers what earlier processes logged and left. */
  static async open(
    dir: string,
    clock: Clock = systemClock,
    options: { syncDeadlineMs?: number } = {},
  ): Promise<IngestLog> {
    ensurePrivateDir(dir);
    const numbers = await segmentNumbers(dir);
    return new IngestLog(
      dir,
      numbers.at(-1) ?? 0,
      clock,
      options.syncDeadlineMs ?? SYNC_DEADLINE_MS,
    );
  }

  /** Why the log takes nothing now (a stalled disk), or undefined while it does. */
  get stalled(): StoreUnavailableError | undefined {
    return this.stalledError;
  }

  /**
   * The groups in the segments that a previous process left, oldest first, with every line that
   * could not be taken whole: a line cut short by a crash at the end of its file was never
   * acknowledged ("torn"); any other damaged line is reported as lost, naming file and line.
   */
  async recover(): Promise<{
    groups: LoggedGroup[];
    segments: number[];
    problems: LogLineProblem[];
  }> {
    const segments = (await segmentNumbers(this.dir)).filter((n) => n < this.segment);
    const groups: LoggedGroup[] = [];
    const problems: LogLineProblem[] = [];
    for (const number of segments) {
      const file = join(this.dir, segmentName(number));
      const text = withoutTrailingZeros(await readFile(file, "utf8"));
      const lines = text.split("\n");
      lines.forEach((raw, index) => {
        if (raw === "") return;
        const line = index + 1;
        // The last piece has no newline after it: its write never finished.
        const tail = index === lines.length - 1;
        const problem = (kind: LogLineProblem["kind"], reason: string) =>
          problems.push({ file, line, kind, reason, raw });
        const parsed = parseLine(raw);
        if (typeof parsed === "string") {
          if (tail)
            problem(
              "torn",
              `cut short by a crash while it was written (${parsed}); it was never acknowledged`,
            );
          else problem("lost", parsed);
          return;
        }
        if (!Array.isArray(parsed)) {
          problem("refused", "the line is not a list of readings");
          return;
        }
        const readings: Reading[] = [];
        for (const [at, value] of parsed.entries()) {
          const shape = readingShapeProblem(value);
          if (shape === null) readings.push(wideReading(value as Reading));
          else problem("refused", `reading ${at} of the line ${shape}`);
        }
        groups.push({ readings, file, line });
      });
    }
    return { groups, segments, problems };
  }

  /**
   * Appends one group (a JSON array of readings) and answers once the line is written, with the
   * promise of its fdatasync: the group may be acknowledged once that resolves. The next group
   * may be appended meanwhile (its sync then covers both lines), which is what lets the store
   * prepare one group while the disk takes the last. When the write fails (a full disk, an I/O
   * error) the line is cut off again, so that the log holds only groups that were acknowledged
   * or are being acknowledged, each on a line of its own. When a sync fails, the log takes no
   * more lines: after a failed fsync the kernel may have dropped the pages, and the error is
   * reported once only, so nothing written since can be trusted either (PostgreSQL stops on it
   * for the same reason).
   */
  async append(groupJson: string): Promise<{ synced: Promise<void> }> {
    if (this.syncFailure) throw this.syncFailure;
    // A sync still in the pool may be a stuck disk, whose writes would block the event loop
    // too: the line is written after it answers, or refused once it is past its deadline.
    if (this.poolSyncs.size > 0) await this.poolQuiet();
    if (this.stalledError) throw this.stalledError;
    if (this.fd === undefined) {
      // Made ahead (a segment lasts a second or more, a spare takes milliseconds), and synced
      // with its directory entry; were it still being made, this group waits for it.
      const spare = await this.takeSpare();
      this.overZeros = spare !== null;
      if (spare) this.fd = spare.fd;
      else {
        this.fd = openSync(join(this.dir, segmentName(this.segment)), "a", PRIVATE_FILE_MODE);
        // The new file's directory entry must be on disk too, or a crash could lose the file.
        await syncDirectory(this.dir);
      }
      this.size = 0;
      this.openedAt = this.clock.now();
      this.syncing = Promise.resolve();
      this.makeNextSpare();
    }
    const fd = this.fd;
    const line = checksummedLine(groupJson);
    try {
      // Into the page cache at once (microseconds; a trip through libuv's thread pool, which
      // DuckDB's queries share, can take milliseconds), then to the disk (SyncPlacement).
      const written = this.overZeros ? writeSync(fd, line, this.size) : writeSync(fd, line);
      if (written !== Buffer.byteLength(line)) throw new Error("the disk took part of a log line");
      this.size += written;
    } catch (error) {
      ftruncateSync(fd, this.size);
      throw error;
    }
    const { answered, done } = this.placement.onLoop()
      ? { answered: this.syncOnLoop(fd), done: undefined }
      : this.syncInPool(fd);
    const synced = answered.catch((error: Error) => {
      if (error === this.stalledError) throw error; // the sync goes on; it has not failed
      throw this.syncFailed(error);
    });
    // Two syncs may be under way at once and end in either order: wait for both.
    const finished = done ?? synced.catch(() => undefined);
    this.syncing = Promise.all([this.syncing, finished]).then(() => undefined);
    return { synced };
  }

  /** Starts making the segment after the current one, unless one is being made already. */
  private makeNextSpare(): void {
    if (this.spare) return;
    const number = this.segment + 1;
    this.spare = makeSpare(
      join(this.dir, segmentName(number)),
      this.dir,
      spareBytes(this.lastSegmentBytes, SEGMENT_MAX_BYTES),
    ).then(
      (fd) => ({ number, fd }),
      // Without a spare the next segment is opened as it always was: nothing is lost but speed.
      () => null,
    );
  }

  /** The spare made for the current segment number, or null; any other is discarded. */
  private async takeSpare(): Promise<Spare | null> {
    const spare = this.spare === undefined ? null : await this.spare;
    this.spare = undefined;
    if (spare === null || spare.number === this.segment) return spare;
    await this.discard(spare);
    return null;
  }

  private async discard(spare: Spare): Promise<void> {
    closeSync(spare.fd);
    await rm(join(this.dir, segmentName(spare.number)), { force: true });
  }

  /**
   * fdatasync in the thread pool, watched: past the deadline the log is stalled and the sync's
   * waiters are answered 503 (their readings may still reach the disk: a retry is a duplicate).
   */
  private syncInPool(fd: number): { answered: Promise<void>; done: Promise<void> } {
    const ended = this.placement.startedInPool();
    const real = datasync(fd);
    let fail: (error: Error) => void = () => undefined;
    const watched = new Promise<void>((resolve, reject) => {
      fail = reject;
      real.then(resolve, (error: Error) => reject(this.syncFailed(error)));
    });
    const entry: PoolSync = {
      fail,
      settled: real.then(
        () => undefined,
        () => undefined,
      ),
    };
    this.poolSyncs.add(entry);
    const timer = this.clock.setTimeout(() => this.stall(), this.syncDeadlineMs);
    void entry.settled.then(() => {
      this.clock.clear(timer);
      ended();
      this.poolSyncs.delete(entry);
      if (this.poolSyncs.size === 0 && this.stalledError) {
        console.error("gust: the ingest log's disk answers again; writes are taken again");
        this.stalledError = undefined;
      }
    });
    return { answered: watched, done: entry.settled };
  }

  /** After a failed sync the log takes nothing more (see append), even one answered 503 before. */
  private syncFailed(error: Error): Error {
    this.syncFailure ??= new Error(
      `the ingest log could not be synced to disk (${error.message}); nothing more is acknowledged: check the disk, then restart gust`,
    );
    return this.syncFailure;
  }

  /** A sync is past its deadline: its waiters and every append until it answers get a 503. */
  private stall(): void {
    this.stalledError ??= new StoreUnavailableError(
      `the disk under the ingest log has not finished a sync in ${this.syncDeadlineMs / 1000} s (stalled or frozen); nothing is acknowledged until it does. Reads still answer; check the disk (df, dmesg, a frozen or remounted filesystem)`,
      STALLED_RETRY_AFTER_S,
    );
    console.error(`gust: ${this.stalledError.message}`);
    for (const sync of this.poolSyncs) sync.fail(this.stalledError);
  }

  /** Resolves once no sync is under way in the pool, or the log is stalled. */
  private async poolQuiet(): Promise<void> {
    while (this.poolSyncs.size > 0 && !this.stalledError) {
      await Promise.race([...this.poolSyncs].map((sync) => sync.settled));
    }
  }

  /** fdatasync on the event loop (see SyncPlacement), answered as the pool's is. */
  private syncOnLoop(fd: number): Promise<void> {
    const began = performance.now();
    try {
      fdatasyncSync(fd);
    } catch (error) {
      return Promise.reject(error);
    }
    this.placement.tookOnLoop(performance.now() - began);
    return Promise.resolve();
  }

  /** Whether the current segment is due to end: once it holds `maxBytes` or is `maxAgeMs` old. */
  dueToRotate(maxBytes: number, maxAgeMs: number): boolean {
    if (this.fd === undefined) return false;
    return this.size >= maxBytes || this.clock.now() - this.openedAt >= maxAgeMs;
  }

  /**
   * Ends the current segment: later appends go to a new one. Returns the segments that hold
   * everything appended so far, to delete once all of it is in the DuckDB file.
   */
  rotate(): number[] {
    const fd = this.fd;
    if (fd === undefined) return [];
    const ended = this.segment;
    this.lastSegmentBytes = this.size;
    this.fd = undefined;
    this.segment++;
    // A sync still under way on it must finish on the same file descriptor.
    void this.syncing.then(() => closeSync(fd));
    return [ended];
  }

  async remove(segments: readonly number[]): Promise<void> {
    for (const number of segments) {
      await rm(join(this.dir, segmentName(number)), { force: true });
    }
  }

  /** Closes the current segment once its last sync is done, and deletes an unused spare. */
  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    await this.syncing;
    if (fd !== undefined) closeSync(fd);
    const spare = this.spare === undefined ? null : await this.spare;
    this.spare = undefined;
    if (spare) await this.discard(spare);
  }
}

/** A sync under way in the thread pool. */
interface PoolSync {
  /** Answers its waiters with this error now (the sync itself goes on). */
  fail: (error: Error) => void;
  /** Settles when the sync itself answers. */
  settled: Promise<void>;
}

/** A segment file made ahead: its number and its open descriptor. */
interface Spare {
  number: number;
  fd: number;
}

/** A segment made as a spare keeps the zeros after its last line: they are not a line. */
function withoutTrailingZeros(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(0, end);
}

/** The line's JSON value, or why it cannot be read. */
function parseLine(raw: string): unknown {
  const match = CHECKSUMMED.exec(raw);
  const json = match ? raw.slice(match[0].length) : raw;
  if (match && checksum(json) !== match[1]) return "its checksum does not match its content";
  if (!match && !raw.startsWith("[")) return "it has no checksum";
  try {
    return JSON.parse(json);
  } catch (error) {
    return `it is not valid JSON (${(error as Error).message})`;
  }
}

const STATUSES: ReadonlySet<unknown> = new Set([...READING_STATUSES, null, undefined]);
const isNumber = (value: unknown) => typeof value === "number" && Number.isFinite(value);

/** Why a logged value is not a reading the store can take, or null. */
function readingShapeProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "is not an object";
  const r = value as Record<string, unknown>;
  if (typeof r.turbine_id !== "string" || r.turbine_id === "") return "has no turbine_id";
  if (!Number.isSafeInteger(r.time)) return "has no time in epoch milliseconds";
  if (!isNumber(r.power_kw) || !isNumber(r.wind_speed_ms))
    return "has no power_kw or wind_speed_ms";
  if (!STATUSES.has(r.status)) return "has an unknown status";
  if (r.status_code != null && !Number.isSafeInteger(r.status_code)) return "has a bad status_code";
  if (!Number.isSafeInteger(r.version) || (r.version as number) < 1) return "has no version";
  if (r.measures != null) {
    if (typeof r.measures !== "object" || Array.isArray(r.measures)) return "has bad measures";
    for (const v of Object.values(r.measures))
      if (!isNumber(v)) return "has a measure that is not a number";
  }
  if (r.tags != null) {
    if (typeof r.tags !== "object" || Array.isArray(r.tags)) return "has bad tags";
    for (const v of Object.values(r.tags))
      if (typeof v !== "string") return "has a tag that is not a string";
  }
  return null;
}

/** A logged reading as the port shapes it; a log left by a release before the wide reading lacks
 * status_code and measures. */
function wideReading(reading: Reading): Reading {
  return {
    ...reading,
    status: reading.status ?? null,
    status_code: reading.status_code ?? null,
    measures: reading.measures ?? {},
    tags: reading.tags ?? {},
  };
}

async function segmentNumbers(dir: string): Promise<number[]> {
  const numbers: number[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT.exec(name);
    if (match?.[1]) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b);
}
