// The embedded store: one DuckDB file, the default everywhere but Lambda.
//
// A write goes through three steps. Concurrent requests are grouped (group commit): while a
// group is being made durable, new requests queue up and go together in the next. A group is
// classified against what is stored (new, duplicate, conflict, replacement), and its accepted
// readings are appended to the ingest log (api/store/ingest-log.ts) and fdatasync'ed: only then
// are its requests answered, so a 200 is durable. Two groups may be on their way to disk at
// once (pipelining): the next is classified and written while the disk takes the last; groups
// are answered in order, and a group fails with any group before it that failed.
//
// The logged readings wait in memory and reach the DuckDB file in bulk, many groups in one
// insert, because a DuckDB commit costs about a millisecond of CPU however few rows it holds. A
// group large enough to carry that cost (batches from gateways) skips the log and is committed
// to the DuckDB file directly, which writes each reading to disk once less; its rows go in
// through a transaction begun ahead on one of two connections (api/store/duckdb-prebegun.ts),
// so that one group's rows are appended while the last one commits. Every query first waits
// until all acknowledged readings are in the file, so reads always see every 200.
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ensurePrivateDir, makePrivate } from "../private-files.ts";
import { createTurbinesTable } from "../registry/duckdb-registry.ts";
import { type Clock, systemClock, type TimerHandle } from "../time/clock.ts";
import { openFailureMessage } from "./duckdb-open-failure.ts";
import { PrebegunTransactions } from "./duckdb-prebegun.ts";
import {
  appendsRowsOnly,
  type BatchPlan,
  DUCKDB_TABLE,
  type LayoutMigration,
  latestReadingTimes,
  lookUpReadings,
  ReadingsTables,
  type StatusConversion,
} from "./duckdb-readings-table.ts";
import { classifyReadings, type KnownReading, readingIdentity } from "./identity.ts";
import {
  IngestLog,
  type LogLineProblem,
  SEGMENT_MAX_AGE_MS,
  SEGMENT_MAX_BYTES,
} from "./ingest-log.ts";
import { MeasureNameBudget, type NameReservation } from "./measure-names.ts";
import {
  type QueryRow,
  type Reading,
  type ReadingStore,
  StoreUnavailableError,
  type WriteOutcome,
  type WriteWindow,
} from "./port.ts";
import {
  applySplittingFailures,
  failureText,
  isTransientFailure,
  Quarantine,
  type QuarantineEntry,
} from "./quarantine.ts";

export { DUCKDB_TABLE } from "./duckdb-readings-table.ts";

/** The store's file in DATA_DIR (here, so that the notebooks need not load the server). */
export const DUCKDB_FILE_NAME = "gust.duckdb";

/**
 * How long an acknowledged reading may wait in the log before it is put in the DuckDB file
 * (a read puts it there at once). Each apply is a DuckDB commit with an fsync of its own, which
 * the log's syncs queue beside: applying more often slows single-reading ingest (by ~5% at
 * 50 ms) for no gain a reader sees.
 */
export const APPLY_AFTER_MS = 250;
/** ...or how many may wait. */
const APPLY_AT_READINGS = 16_384;
/** Beyond this many waiting readings new writes wait for the DuckDB file to catch up. */
const MAX_WAITING_READINGS = 131_072;
/** A group of at least this many readings is committed to the DuckDB file directly. */
const DIRECT_AT_READINGS = 2_048;
/**
 * A group takes at most about this many readings, so that while DuckDB inserts one group the
 * event loop parses the requests of the next instead of every connection waiting on one commit.
 */
const MAX_GROUP_READINGS = 16_384;
/**
 * How many groups may be on their way to disk at once. Two let the event loop prepare one group
 * while the disk (or DuckDB's COMMIT) takes the other; more would only queue behind the disk.
 */
const GROUPS_IN_FLIGHT = 2;

interface PendingWrite {
  readings: Reading[];
  resolve: (outcomes: WriteOutcome[]) => void;
  reject: (error: Error) => void;
}

/** A group that is classified and on its way to disk, not yet answered. */
interface InFlightGroup {
  /** Resolves once the group is durable, and only after every group before it is. */
  durable: Promise<void>;
  /** Settles once the group is answered (never rejects). */
  answered: Promise<void>;
  /** A direct group's accepted readings: in no table a query sees until its COMMIT. */
  committing: readonly Reading[];
}

/** What classifying a group keeps of one turbine. */
interface TurbineInGroup {
  /** Its latest acknowledged time before the group. */
  latest: number;
  /** Its latest time in the group so far. */
  last: number;
  /** Whether each of its readings in the group is later than the one before. */
  rising: boolean;
}

/** A classified group: its outcomes, and when it may be answered. */
interface PreparedGroup {
  outcomes: WriteOutcome[];
  durable: Promise<void>;
  committing: readonly Reading[];
}

/** An acknowledged reading that is not in the DuckDB file yet. */
interface WaitingReading {
  reading: Reading;
  /** The DuckDB file may hold an older reading with this identity: delete it first. */
  replaces: boolean;
  /** Taken by an apply that is under way. */
  applying: boolean;
  group: LogGroup;
}

/** One log line: the accepted readings of one group of requests. */
interface LogGroup {
  waiting: WaitingReading[];
  /** A reading of it was superseded before it was applied: apply only the current ones. */
  superseded: boolean;
}

export interface DuckDbStoreOptions {
  /** The database file; created with its directory when missing. Its log lives beside it. */
  path: string;
  writeWindow: WriteWindow;
  /** Times the background apply and the log's segments (default: the machine's clock). */
  clock?: Clock;
  /** How long a log sync may take before writes answer 503 (default SYNC_DEADLINE_MS). */
  logSyncDeadlineMs?: number;
}

export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<DuckDbStore> {
  let instance: DuckDBInstance;
  try {
    ensurePrivateDir(dirname(options.path));
    instance = await DuckDBInstance.create(options.path);
  } catch (error) {
    throw new Error(openFailureMessage(options.path, error));
  }
  makePrivate(options.path);
  const writer = await instance.connect();
  const tables = await ReadingsTables.open(writer);
  // Queries join the registry's table (api/queries/sql.ts), so it exists in every file.
  await createTurbinesTable(writer);
  const clock = options.clock ?? systemClock;
  const logDir = `${options.path}.ingest-log`;
  const log = await IngestLog.open(logDir, clock, { syncDeadlineMs: options.logSyncDeadlineMs });
  const quarantine = Quarantine.open(`${options.path}.quarantine.jsonl`, clock.now);
  const recovery = await applyLeftoverLog(log, tables, writer, quarantine);
  const store = new DuckDbStore({
    instance,
    writer,
    transactions: new PrebegunTransactions([await instance.connect(), await instance.connect()]),
    tables,
    applier: await instance.connect(),
    reader: await instance.connect(),
    log,
    latestTime: await latestReadingTimes(writer),
    writeWindow: options.writeWindow,
    recovery,
    quarantine,
    file: { path: options.path, identity: fileIdentity(options.path) },
    clock,
    logDir: { path: logDir, identity: fileIdentity(logDir) },
  });
  return store;
}

/** What opening the store found in the ingest log of a stopped process. */
export interface LogRecovery {
  /** Readings put into the DuckDB file. */
  applied: number;
  /** Log lines not taken whole (cut short by a crash, damaged, or of the wrong shape). */
  problems: LogLineProblem[];
  /** Readings the DuckDB file refused, now in the quarantine. */
  quarantined: number;
}

/**
 * Puts what a previous process acknowledged but had not applied into the DuckDB file. Later
 * log lines supersede earlier ones (a reading is logged only when it was accepted then). A line
 * that cannot be read, and a reading the file refuses, are quarantined with their file and line;
 * the others are applied all the same.
 */
async function applyLeftoverLog(
  log: IngestLog,
  tables: ReadingsTables,
  connection: DuckDBConnection,
  quarantine: Quarantine,
): Promise<LogRecovery> {
  const { groups, segments, problems } = await log.recover();
  const latest = new Map<string, { reading: Reading; file: string; line: number }>();
  for (const { readings, file, line } of groups) {
    for (const reading of readings) latest.set(readingIdentity(reading), { reading, file, line });
  }
  const refused: QuarantineEntry[] = problems
    .filter((problem) => problem.kind !== "torn")
    .map(({ file, line, reason, raw }) => ({ source: "recovery", file, line, reason, raw }));
  for (const problem of problems) {
    console.error(
      `gust: ingest log ${problem.file} line ${problem.line}: ${problem.kind}: ${problem.reason}`,
    );
  }
  // Any of them may already be in the file (applied just before the stop): replace them all.
  await applySplittingFailures(
    [...latest.values()],
    (entries) => {
      const readings = entries.map((entry) => entry.reading);
      return tables.applyReadings(connection, readings, readings);
    },
    (entry, error) => refused.push({ source: "recovery", ...entry, reason: failureText(error) }),
  );
  quarantine.add(refused);
  await log.remove(segments);
  const quarantined = refused.filter((entry) => entry.reading).length;
  return { applied: latest.size - quarantined, problems, quarantined };
}

interface DuckDbStoreParts {
  instance: DuckDBInstance;
  /** Looks up stored readings while classifying, and commits groups that add keys or columns. */
  writer: DuckDBConnection;
  /** Commit direct groups that only append rows, one while the next is prepared. */
  transactions: PrebegunTransactions;
  tables: ReadingsTables;
  /** Puts logged readings into the file. */
  applier: DuckDBConnection;
  /** Answers queries. */
  reader: DuckDBConnection;
  log: IngestLog;
  latestTime: Map<string, number>;
  writeWindow: WriteWindow;
  recovery: LogRecovery;
  quarantine: Quarantine;
  /** The DuckDB file and its identity (device and inode) when opened. */
  file: { path: string; identity: string | null };
  clock: Clock;
  /** The ingest log's directory and its identity when opened, watched like the file. */
  logDir: { path: string; identity: string | null };
}

export class DuckDbStore implements ReadingStore {
  readonly kind = "duckdb" as const;
  readonly tableRef = DUCKDB_TABLE;
  readonly writeWindow: WriteWindow;
  /** Readings a stopped process had acknowledged and left in the log, applied on open. */
  readonly recoveredReadings: number;
  /** All that opening found in the log: what was applied, refused or lost, by file and line. */
  readonly recovery: LogRecovery;
  /** Set once the DuckDB file is gone or replaced: nothing is acknowledged any more. */
  private fileLost: string | null = null;
  /** Set once the log's directory is: nothing is acknowledged, but applies go on. */
  private logDirLost: string | null = null;
  /** What opening the file migrated from an earlier release's layout, if anything. */
  readonly migration: LayoutMigration | null;
  /** What opening did to a status column that an earlier release stored as text. */
  readonly statusConversion: StatusConversion | null;
  /** The measure names' budget: the fleet's columns, and each turbine's share of them. */
  private readonly measureNames: MeasureNameBudget;
  private pending: PendingWrite[] = [];
  /** Groups on their way to disk, oldest first. */
  private inFlight: InFlightGroup[] = [];
  private draining = false;
  /** The drain under way while `draining`: close waits for it. */
  private drainRun: Promise<void> = Promise.resolve();
  private closed = false;
  /**
   * Per turbine, the latest time accepted so far: stored, or in a group on its way to disk
   * (set when the group is classified, and left when it fails, which only costs lookups). This
   * process is the file's only writer, so a reading newer than that cannot exist yet and needs
   * no lookup: the common case of turbines reporting forward in time is classified without
   * reading the table at all.
   */
  private readonly latestTime: Map<string, number>;
  /** Logged readings (acknowledged, or syncing) not yet in the DuckDB file, by identity. */
  private readonly waiting = new Map<string, WaitingReading>();
  /** Logged groups that no apply has taken yet, oldest first, and how many readings they hold. */
  private unapplied: LogGroup[] = [];
  private unappliedReadings = 0;
  /** Log segments that are complete, to delete once an apply has put their readings in. */
  private endedSegments: number[] = [];
  /** The latest apply; applies run one at a time, in order. */
  private applied: Promise<void> = Promise.resolve();
  private applyTimer: TimerHandle | undefined;
  /** Apply requests that came while a group was being logged, served right after it. */
  private applyRequests: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(private readonly parts: DuckDbStoreParts) {
    this.writeWindow = parts.writeWindow;
    this.recoveredReadings = parts.recovery.applied;
    this.recovery = parts.recovery;
    this.migration = parts.tables.migration;
    this.statusConversion = parts.tables.statusConversion;
    this.latestTime = parts.latestTime;
    this.measureNames = new MeasureNameBudget(parts.tables.measureColumns());
  }

  write(readings: Reading[]): Promise<WriteOutcome[]> {
    if (this.closed) return Promise.reject(new StoreUnavailableError("the store is closing"));
    if (this.fileLost) return Promise.reject(new StoreUnavailableError(this.fileLost, 60));
    if (readings.length === 0) return Promise.resolve([]);
    let names: NameReservation;
    try {
      names = this.measureNames.reserve(readings);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<WriteOutcome[]>((resolve, reject) => {
      this.pending.push({ readings, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the requests that arrive in this turn of the event loop join the first group.
        this.drainRun = new Promise((resolve) =>
          setImmediate(() => void this.drain().then(resolve)),
        );
      }
    }).then(
      (outcomes) => {
        names.settle(outcomes);
        return outcomes;
      },
      (error: unknown) => {
        names.settle(null);
        throw error;
      },
    );
  }

  async measureColumns(): Promise<ReadonlySet<string>> {
    await this.requestApply();
    return new Set(this.parts.tables.measureColumns());
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      while (this.inFlight.length >= GROUPS_IN_FLIGHT) await this.inFlight[0]?.answered;
      const group = this.takeGroup();
      try {
        this.answerWhenDurable(group, await this.prepare(group.flatMap((w) => w.readings)));
      } catch (error) {
        for (const write of group) write.reject(unavailable(error));
      }
      // Between two groups no log append is under way: the safe moment to end a log segment.
      if (this.applyRequests.length > 0 || this.unappliedReadings >= APPLY_AT_READINGS) {
        this.settleRequests(this.startApply());
      }
      if (this.waiting.size > MAX_WAITING_READINGS) await this.applied.catch(() => undefined);
    }
    this.draining = false;
    if (this.applyRequests.length > 0) this.settleRequests(this.startApply());
  }

  /** Answers the group's writes once it is durable, or fails them all. */
  private answerWhenDurable(group: PendingWrite[], prepared: PreparedGroup): void {
    const { outcomes, durable, committing } = prepared;
    const answered = durable.then(
      () => {
        let offset = 0;
        for (const write of group) {
          write.resolve(outcomes.slice(offset, offset + write.readings.length));
          offset += write.readings.length;
        }
      },
      (error) => {
        for (const write of group) write.reject(unavailable(error));
      },
    );
    const entry: InFlightGroup = { durable, committing, answered };
    this.inFlight.push(entry);
    entry.answered = answered.then(() => {
      this.inFlight = this.inFlight.filter((other) => other !== entry);
    });
  }

  /** Settles once every group now in flight is durable, rejecting if one of them failed. */
  private inFlightDurable(): Promise<void> {
    return this.inFlight.at(-1)?.durable ?? Promise.resolve();
  }

  /** The next group: the oldest pending writes, up to about MAX_GROUP_READINGS readings. */
  private takeGroup(): PendingWrite[] {
    let readings = 0;
    let count = 0;
    while (count < this.pending.length && (count === 0 || readings < MAX_GROUP_READINGS)) {
      readings += this.pending[count]?.readings.length ?? 0;
      count++;
    }
    return this.pending.splice(0, count);
  }

  /** Readings set aside because the DuckDB file refused them (see quarantine.ts). */
  get quarantinedReadings(): number {
    return this.parts.quarantine.count;
  }

  /**
   * Throws once the DuckDB file or the ingest log's directory is deleted or replaced under the
   * running server: whatever it acknowledged after that would be lost on restart, so it
   * acknowledges nothing any more.
   */
  private checkFile(): void {
    this.checkDuckDbFile();
    if (this.logDirLost) throw new StoreUnavailableError(this.logDirLost, 60);
    const { path, identity } = this.parts.logDir;
    const now = fileIdentity(path);
    if (now === identity) return;
    // What was logged there and not applied yet is still in memory: a clean stop applies it.
    this.logDirLost = `the ingest log directory ${path} was ${now === null ? "deleted" : "replaced"} while the server ran; nothing more is acknowledged. Stop gust cleanly (Ctrl-C or SIGTERM, not kill -9: the stop puts every acknowledged reading into the DuckDB file), then start it again`;
    console.error(`gust: ${this.logDirLost}`);
    throw new StoreUnavailableError(this.logDirLost, 60);
  }

  /** The DuckDB file alone: applies go on without the log's directory, never without the file. */
  private checkDuckDbFile(): void {
    if (this.fileLost) throw new StoreUnavailableError(this.fileLost, 60);
    const { path, identity } = this.parts.file;
    const now = fileIdentity(path);
    if (now === identity) return;
    this.fileLost = `the DuckDB file ${path} was ${now === null ? "deleted" : "replaced"} while the server ran; nothing more is acknowledged. Restore the file or move it aside, then restart gust`;
    console.error(`gust: ${this.fileLost}`);
    throw new StoreUnavailableError(this.fileLost, 60);
  }

  /**
   * Classifies one group of readings and starts making the accepted ones durable: returns the
   * outcomes and a promise that resolves once the group may be answered (after every group in
   * flight before it; it rejects if one of those failed, whose readings it may have been
   * classified against).
   */
  private async prepare(readings: Reading[]): Promise<PreparedGroup> {
    this.checkFile();
    const direct = readings.length >= DIRECT_AT_READINGS;
    const { outcomes, accepted, replacing } = await this.classify(readings);
    const before = this.inFlightDurable();
    if (accepted.length === 0) return { outcomes, durable: before, committing: [] };
    let plan = this.parts.tables.plan(accepted);
    if (plan.newMeasures.length > 0) {
      plan = { ...plan, newMeasures: await this.addMeasureColumns(plan.newMeasures, before) };
    }

    if (direct) {
      const committed = await this.commitDirect(plan, [...replacing], before);
      if (committed) return { outcomes, durable: committed.durable, committing: accepted };
    }
    const { synced } = await this.parts.log.append(JSON.stringify(accepted));

    const group: LogGroup = { waiting: [], superseded: false };
    for (const reading of accepted) {
      const identity = readingIdentity(reading);
      const earlier = this.waiting.get(identity);
      let replaces = replacing.has(reading);
      if (earlier && !earlier.applying) {
        // The earlier version never reached the file: it is dropped, not deleted.
        replaces = earlier.replaces;
        earlier.group.superseded = true;
      }
      const waiting: WaitingReading = { reading, replaces, applying: false, group };
      group.waiting.push(waiting);
      this.waiting.set(identity, waiting);
    }
    this.unapplied.push(group);
    this.unappliedReadings += group.waiting.length;
    this.applyTimer ??= this.parts.clock.setTimeout(() => {
      this.applyTimer = undefined;
      void this.requestApply().catch(() => undefined);
    }, APPLY_AFTER_MS);
    return {
      outcomes,
      durable: Promise.all([before, synced]).then(() => undefined),
      committing: [],
    };
  }

  /**
   * Classifies a group against what is stored: each reading's outcome, the readings to store,
   * and those of them that replace a stored reading. Most readings are new beyond doubt: newer
   * than their turbine's latest acknowledged time (so nothing stored, waiting or committing has
   * their identity) and of a turbine whose readings come in rising time order within the group
   * (so no other reading of the group has it either). Those are accepted without building their
   * identity, which under a gateway's batches was a tenth of the event loop's time; the others
   * go through the contract's rules by identity (classifyReadings), in order.
   */
  private async classify(readings: readonly Reading[]): Promise<{
    outcomes: WriteOutcome[];
    accepted: Reading[];
    replacing: Set<Reading>;
  }> {
    const turbines = new Map<string, TurbineInGroup>();
    for (const { turbine_id, time } of readings) {
      const turbine = turbines.get(turbine_id);
      if (turbine === undefined) {
        const latest = this.latestTime.get(turbine_id) ?? Number.NEGATIVE_INFINITY;
        turbines.set(turbine_id, { latest, last: time, rising: true });
      } else if (time > turbine.last) turbine.last = time;
      else turbine.rising = false;
    }
    const outcomes: WriteOutcome[] = new Array(readings.length);
    const accepted: Reading[] = [];
    const doubtful: number[] = [];
    for (let index = 0; index < readings.length; index++) {
      const reading = readings[index] as Reading;
      const turbine = turbines.get(reading.turbine_id) as TurbineInGroup;
      if (turbine.rising && reading.time > turbine.latest) {
        outcomes[index] = "accepted";
        accepted.push(reading);
      } else doubtful.push(index);
    }
    const replacing = new Set<Reading>();
    if (doubtful.length > 0) {
      const others = doubtful.map((index) => readings[index] as Reading);
      const identities = others.map(readingIdentity);
      const known = await this.lookUpKnown(others, identities);
      const otherOutcomes = classifyReadings(others, known, identities);
      for (let k = 0; k < doubtful.length; k++) {
        outcomes[doubtful[k] as number] = otherOutcomes[k] as WriteOutcome;
      }
      for (const entry of known.values()) {
        if (!entry.changed) continue;
        accepted.push(entry.reading);
        if (entry.stored) replacing.add(entry.reading);
        this.noteLatestTime(entry.reading);
      }
    }
    for (const [turbineId, turbine] of turbines) {
      if (turbine.rising && turbine.last > turbine.latest)
        this.latestTime.set(turbineId, turbine.last);
    }
    return { outcomes, accepted, replacing };
  }

  /**
   * Puts a large group's rows in the DuckDB file directly. A group of new readings of known
   * turbines only appends rows: it is staged in a transaction begun ahead and committed after
   * the groups before it, so that the next group is prepared meanwhile. One that adds turbine
   * keys or replaces stored readings waits for everything before it and commits alone. Answers
   * when the group may be answered (`durable`; in an object, which an async function does not
   * flatten), or null when the file refused it for the readings' sake: it then goes through the
   * log, whose apply sets the culprits aside.
   */
  private async commitDirect(
    plan: BatchPlan,
    replaced: readonly Reading[],
    before: Promise<void>,
  ): Promise<{ durable: Promise<void> } | null> {
    const { tables, transactions, writer } = this.parts;
    // New rows only: disjoint from every reading waiting in the log, which may be applied before
    // or after them.
    if (appendsRowsOnly(plan) && replaced.length === 0) {
      const transaction = await transactions.take();
      try {
        await tables.stage(transaction.connection, plan, []);
      } catch (error) {
        await transactions.end(transaction, "ROLLBACK").catch(() => undefined);
        if (isTransientFailure(error)) throw error;
        return null;
      }
      const durable = before.then(
        () => transactions.end(transaction, "COMMIT"),
        async (error) => {
          await transactions.end(transaction, "ROLLBACK").catch(() => undefined);
          throw error;
        },
      );
      return { durable };
    }
    // Its classification counted on the groups in flight: it must not outlive one that failed.
    await before;
    // The file catches up with the log first, so that a replaced reading still waiting there
    // is deleted after it is applied; the log's segment ends too (one more directory sync is
    // nothing beside a large group).
    await this.startApply(true);
    try {
      await tables.applyReadings(writer, plan.readings, replaced);
      return { durable: Promise.resolve() };
    } catch (error) {
      if (isTransientFailure(error)) throw error;
      return null;
    }
  }

  /**
   * Adds the columns of measure names that these readings bring, before they are staged or
   * logged. An ALTER needs the table to itself: it waits for the groups in flight and the
   * applies under way, and the transactions begun ahead (whose snapshot would not have the new
   * columns) end for it. Schema changes happen here, in the drain's order, so that no batch
   * changes a column beside another transaction (schema on write, once a name). Answers the
   * names the file refused, whose readings are then set aside by the group's own apply.
   */
  private async addMeasureColumns(
    newMeasures: readonly string[],
    before: Promise<void>,
  ): Promise<string[]> {
    const { tables, transactions, writer } = this.parts;
    // Its classification counted on the groups in flight: it must not outlive one that failed.
    await before;
    await this.applied.catch(() => undefined);
    await transactions.pause();
    try {
      return await tables.addMeasureColumns(writer, newMeasures, isTransientFailure);
    } finally {
      transactions.resume();
    }
  }

  private noteLatestTime(reading: Reading): void {
    if (reading.time > (this.latestTime.get(reading.turbine_id) ?? Number.NEGATIVE_INFINITY)) {
      this.latestTime.set(reading.turbine_id, reading.time);
    }
  }

  /** What is known of each reading's identity: acknowledged and waiting, or in the file. */
  private async lookUpKnown(
    readings: Reading[],
    identities: readonly string[],
  ): Promise<Map<string, KnownReading>> {
    const known = new Map<string, KnownReading>();
    const inFile: Reading[] = [];
    for (let index = 0; index < readings.length; index++) {
      const reading = readings[index] as Reading;
      const identity = identities[index] as string;
      const waiting = this.waiting.get(identity);
      if (waiting) {
        known.set(identity, { reading: waiting.reading, stored: true, changed: false });
      } else if (
        reading.time <= (this.latestTime.get(reading.turbine_id) ?? Number.NEGATIVE_INFINITY)
      ) {
        inFile.push(reading);
      }
    }
    if (inFile.length === 0) return known;
    // A direct group in flight is in no table this query sees: its readings are looked up here,
    // before the query, so that one committing meanwhile is found one way or the other.
    const committing = new Map<string, Reading>();
    for (const group of this.inFlight) {
      for (const reading of group.committing) committing.set(readingIdentity(reading), reading);
    }
    for (const reading of inFile) {
      const found = committing.get(readingIdentity(reading));
      if (found)
        known.set(readingIdentity(found), { reading: found, stored: true, changed: false });
    }
    // An apply removes readings from `waiting` only after its commit, so a reading missed above
    // is in the file by the time this query runs.
    for (const reading of await lookUpReadings(this.parts.writer, inFile)) {
      const identity = readingIdentity(reading);
      if (!known.has(identity)) known.set(identity, { reading, stored: true, changed: false });
    }
    return known;
  }

  /** Resolves once every reading acknowledged before the call is in the DuckDB file. */
  private requestApply(): Promise<void> {
    if (!this.draining) return this.startApply();
    return new Promise((resolve, reject) => this.applyRequests.push({ resolve, reject }));
  }

  private settleRequests(applied: Promise<void>): void {
    for (const request of this.applyRequests.splice(0))
      applied.then(request.resolve, request.reject);
  }

  /**
   * Takes every logged group into one apply, queued after the applies under way. The log's
   * segment ends here when it is due (or `endSegment`): everything in it is then in this apply
   * or an earlier one, so it can be deleted once this apply is done.
   */
  private startApply(endSegment = false): Promise<void> {
    this.parts.clock.clear(this.applyTimer);
    this.applyTimer = undefined;
    if (this.unapplied.length === 0) return this.applied;
    const groups = this.unapplied;
    this.unapplied = [];
    this.unappliedReadings = 0;
    for (const group of groups) for (const waiting of group.waiting) waiting.applying = true;
    const due = endSegment || this.parts.log.dueToRotate(SEGMENT_MAX_BYTES, SEGMENT_MAX_AGE_MS);
    const ended = due ? this.parts.log.rotate() : [];
    const run = this.applied
      .catch(() => undefined)
      .then(async () => {
        this.endedSegments.push(...ended);
        // A logged reading may replace one of a direct group still committing: its DELETE must
        // come after that COMMIT, or it would miss the row.
        await this.inFlightDurable().catch(() => undefined);
        await this.apply(groups);
      });
    this.applied = run;
    // Whoever waits for this apply hears of its failure; with nobody waiting, it must not
    // become an unhandled rejection (which ends the process).
    run.catch((error) => console.error(`gust: ${errorText(error)}; retrying with the next apply`));
    return run;
  }

  private async apply(groups: LogGroup[]): Promise<void> {
    const inserted: WaitingReading[] = [];
    for (const group of groups) {
      // A superseded reading is left out unless a later apply already took its successor.
      const current = group.superseded
        ? group.waiting.filter((w) => this.waiting.get(readingIdentity(w.reading)) === w)
        : group.waiting;
      inserted.push(...current);
    }
    const segments = this.endedSegments.splice(0);
    const refused: QuarantineEntry[] = [];
    const done = (parts: readonly WaitingReading[]) => {
      for (const waiting of parts) {
        const identity = readingIdentity(waiting.reading);
        if (this.waiting.get(identity) === waiting) this.waiting.delete(identity);
      }
    };
    try {
      this.checkDuckDbFile();
      // One insert for all; when the file refuses it for the readings' sake, halves and so on
      // down to the readings that fail alone, which are quarantined so the others get in.
      await applySplittingFailures(
        inserted,
        (part) =>
          this.parts.tables.applyReadings(
            this.parts.applier,
            part.map((w) => w.reading),
            part.filter((w) => w.replaces).map((w) => w.reading),
          ),
        (waiting, error) => {
          refused.push({ source: "apply", reading: waiting.reading, reason: failureText(error) });
          done([waiting]);
        },
        done,
      );
      this.parts.quarantine.add(refused);
    } catch (error) {
      this.parts.quarantine.add(refused);
      // The readings stay logged and waiting; the next apply takes those not yet in the file.
      this.endedSegments.unshift(...segments);
      this.unapplied.unshift(...groups);
      for (const group of groups) {
        group.superseded = true;
        this.unappliedReadings += group.waiting.length;
        for (const waiting of group.waiting) waiting.applying = false;
      }
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(
        `the embedded store could not write the DuckDB file: ${errorText(error)}`,
      );
    }
    await this.parts.log.remove(segments);
  }

  async select(sql: string): Promise<QueryRow[]> {
    await this.requestApply();
    let names: string[];
    let columns: unknown[][];
    try {
      const reader = await this.parts.reader.runAndReadAll(sql);
      names = reader.columnNames();
      // Column by column: about twice as fast as row objects for the analyses' million-row scans.
      columns = reader.getColumnsJS();
    } catch (error) {
      throw new StoreUnavailableError(`the embedded store could not query: ${errorText(error)}`);
    }
    return rowsFromColumns(names, columns);
  }

  /**
   * A connection of its own to the same file, for the tables beside the readings (the turbine
   * registry, alarms). The caller closes it before the store closes.
   */
  connect(): Promise<DuckDBConnection> {
    return this.parts.instance.connect();
  }

  check(): void {
    if (this.closed) throw new StoreUnavailableError("the store is closing");
    this.checkFile();
    const stalled = this.parts.log.stalled;
    if (stalled) throw stalled;
  }

  async ping(): Promise<void> {
    this.check();
    await this.select("SELECT 1 AS ok");
  }

  /**
   * Settles once no group is being written and the applies started so far are done (failed or
   * not): what close waits for, and what a test waits for instead of a while.
   */
  async idle(): Promise<void> {
    while (this.draining) await this.drainRun;
    await Promise.all(this.inFlight.map((group) => group.answered));
    await this.applied.catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle();
    // What cannot be applied now stays in the log and is applied when the file is next opened.
    const applied = await this.startApply(true).then(
      () => true,
      () => false,
    );
    // Readings applied before the close (by the timer or a read) leave their segment open and
    // unended: with every logged reading in the file it ends here, or the next open would
    // apply all of it again.
    if (applied && this.waiting.size === 0) await this.parts.log.remove(this.parts.log.rotate());
    await this.parts.log.close();
    await this.parts.transactions.close();
    this.parts.reader.closeSync();
    this.parts.applier.closeSync();
    this.parts.writer.closeSync();
    this.parts.instance.closeSync();
  }
}

/** DuckDB's JS columns as the port's plain rows (timestamps as epoch milliseconds). */
function rowsFromColumns(names: readonly string[], columns: readonly unknown[][]): QueryRow[] {
  const count = columns[0]?.length ?? 0;
  const rows: QueryRow[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const row: QueryRow = {};
    for (let j = 0; j < names.length; j++) {
      row[names[j] as string] = plainValue((columns[j] as unknown[])[i]);
    }
    rows[i] = row;
  }
  return rows;
}

function plainValue(value: unknown): QueryRow[string] {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean")
    return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.getTime();
  return JSON.stringify(value);
}

function unavailable(error: unknown): StoreUnavailableError {
  return error instanceof StoreUnavailableError
    ? error
    : new StoreUnavailableError(
        `the embedded store could not store the readings: ${errorText(error)}`,
      );
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}

/** The file's device and inode, or null when it does not exist. */
function fileIdentity(path: string): string | null {
  try {
    const stat = statSync(path);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}
