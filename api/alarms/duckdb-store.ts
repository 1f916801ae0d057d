// The alarm store of the local server: three DuckDB tables beside the readings (same file, a
// connection of its own): alarms, alarm_events, alarm_outbox (the port, store.ts, says what each
// keeps). This process is the only evaluator, so nothing else opens or closes an alarm.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Alarm, AlarmEvent, AlarmEventKind, AlarmRule } from "../live/alarm.ts";
import type { AlarmChange, AlarmQuery, AlarmStore, OutboxEntry } from "./store.ts";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS alarms (
     id VARCHAR PRIMARY KEY, turbine_id VARCHAR NOT NULL, rule VARCHAR NOT NULL,
     opened_at BIGINT NOT NULL, closed_at BIGINT, detail VARCHAR NOT NULL, reading VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS alarm_events (
     seq BIGINT PRIMARY KEY, alarm_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, time BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS alarm_outbox (
     seq BIGINT PRIMARY KEY, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL,
     last_error VARCHAR)`,
];

/** Changes stored a few statements at a time (one JSON parameter a table). */
const RECORD_CHUNK = 1000;
// The columns of each table's rows as the JSON parameter carries them, in table order.
const ALARM_ROW = `{"id":"VARCHAR","turbine_id":"VARCHAR","rule":"VARCHAR","opened_at":"BIGINT","detail":"VARCHAR","reading":"VARCHAR"}`;
const CLOSE_ROW = `{"id":"VARCHAR","closed_at":"BIGINT"}`;
const EVENT_ROW = `{"seq":"BIGINT","alarm_id":"VARCHAR","kind":"VARCHAR","time":"BIGINT"}`;
const OUTBOX_ROW = `{"seq":"BIGINT","attempts":"INTEGER","next_attempt_at":"BIGINT"}`;

/** The rows of the `$json` parameter (a JSON array of objects of `row`'s shape) as a query. */
function unnested(row: string): string {
  return `SELECT unnest(from_json($json, '[${row}]'), recursive := true)`;
}

const ALARM_COLUMNS = "a.id, a.turbine_id, a.rule, a.opened_at, a.closed_at, a.detail, a.reading";

export async function openDuckDbAlarmStore(connection: DuckDBConnection): Promise<AlarmStore> {
  for (const statement of SCHEMA) await connection.run(statement);
  return new DuckDbAlarmStore(connection);
}

class DuckDbAlarmStore implements AlarmStore {
  // One connection, one statement at a time: every call waits for the one before.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly connection: DuckDBConnection) {}

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async rows(sql: string, values?: Record<string, unknown>) {
    const reader = await this.connection.runAndReadAll(sql, values as never);
    return reader.getRowObjectsJS();
  }

  openAlarms(): Promise<Alarm[]> {
    return this.serial(async () =>
      (
        await this.rows(
          `SELECT ${ALARM_COLUMNS} FROM alarms a WHERE closed_at IS NULL ORDER BY opened_at`,
        )
      ).map(alarmFromRow),
    );
  }

  lastSeq(): Promise<number> {
    return this.serial(async () => {
      const [row] = await this.rows("SELECT coalesce(max(seq), 0) AS seq FROM alarm_events");
      return Number(row?.seq ?? 0);
    });
  }

  /**
   * Stores the changes of one evaluation in one transaction, a few statements a chunk of rows
   * rather than three a change: when the whole fleet goes silent at once (100,000 alarms), one
   * statement a change kept the CPU busy for minutes.
   */
  record(changes: AlarmChange[], notify: boolean): Promise<AlarmEvent[]> {
    return this.serial(async () => {
      if (changes.length === 0) return [];
      await this.connection.run("BEGIN TRANSACTION");
      try {
        const [row] = await this.rows("SELECT coalesce(max(seq), 0) AS seq FROM alarm_events");
        let seq = Number(row?.seq ?? 0);
        const events: AlarmEvent[] = [];
        for (let start = 0; start < changes.length; start += RECORD_CHUNK) {
          const chunk = changes.slice(start, start + RECORD_CHUNK);
          const chunkEvents = chunk.map((change) => {
            const { alarm } = change;
            const time = change.kind === "opened" ? alarm.opened_at : (alarm.closed_at as number);
            return { seq: ++seq, kind: change.kind, time, alarm: { ...alarm } };
          });
          await this.recordChunk(chunkEvents, notify);
          events.push(...chunkEvents);
        }
        await this.connection.run("COMMIT");
        return events;
      } catch (error) {
        await this.connection.run("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * One chunk's alarms opened, then closed (one may be both), its events and outbox rows: each
   * table's rows as one JSON parameter that DuckDB unnests, one statement a table.
   */
  private async recordChunk(events: AlarmEvent[], notify: boolean): Promise<void> {
    const opened = events.filter((event) => event.kind === "opened");
    const closed = events.filter((event) => event.kind === "closed");
    if (opened.length > 0) {
      await this.insertJson(
        "alarms (id, turbine_id, rule, opened_at, detail, reading)",
        ALARM_ROW,
        opened.map(({ alarm }) => ({
          id: alarm.id,
          turbine_id: alarm.turbine_id,
          rule: alarm.rule,
          opened_at: alarm.opened_at,
          detail: alarm.detail,
          reading: alarm.reading === null ? null : JSON.stringify(alarm.reading),
        })),
      );
    }
    if (closed.length > 0) {
      await this.connection.run(
        `UPDATE alarms SET closed_at = v.closed_at FROM (${unnested(CLOSE_ROW)}) v
          WHERE alarms.id = v.id`,
        {
          json: JSON.stringify(
            closed.map(({ alarm }) => ({ id: alarm.id, closed_at: alarm.closed_at })),
          ),
        } as never,
      );
    }
    await this.insertJson(
      "alarm_events (seq, alarm_id, kind, time)",
      EVENT_ROW,
      events.map((event) => ({
        seq: event.seq,
        alarm_id: event.alarm.id,
        kind: event.kind,
        time: event.time,
      })),
    );
    if (notify) {
      await this.insertJson(
        "alarm_outbox (seq, attempts, next_attempt_at)",
        OUTBOX_ROW,
        events.map((event) => ({ seq: event.seq, attempts: 0, next_attempt_at: event.time })),
      );
    }
  }

  private async insertJson(table: string, row: string, rows: object[]): Promise<void> {
    await this.connection.run(`INSERT INTO ${table} ${unnested(row)}`, {
      json: JSON.stringify(rows),
    } as never);
  }

  list(query: AlarmQuery): Promise<Alarm[]> {
    const where: string[] = [];
    const values: Record<string, unknown> = { limit: query.limit };
    if (query.state === "open") where.push("closed_at IS NULL");
    if (query.state === "closed") where.push("closed_at IS NOT NULL");
    if (query.turbineId !== undefined) {
      where.push("turbine_id = $turbine");
      values.turbine = query.turbineId;
    }
    // Open at some moment of [from, to): opened before `to`, and not closed before `from`.
    if (query.to !== undefined) {
      where.push("opened_at < $to");
      values.to = query.to;
    }
    if (query.from !== undefined) {
      where.push("(closed_at IS NULL OR closed_at >= $from)");
      values.from = query.from;
    }
    if (query.after !== undefined) {
      where.push("(opened_at < $after_opened OR (opened_at = $after_opened AND id < $after_id))");
      values.after_opened = query.after.openedAt;
      values.after_id = query.after.id;
    }
    const sql = `SELECT ${ALARM_COLUMNS} FROM alarms a ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY opened_at DESC, id DESC LIMIT $limit`;
    return this.serial(async () => (await this.rows(sql, values)).map(alarmFromRow));
  }

  eventsSince(seq: number, limit = 10_000): Promise<AlarmEvent[]> {
    return this.serial(async () =>
      (
        await this.rows(
          `SELECT e.seq, e.kind, e.time, ${ALARM_COLUMNS} FROM alarm_events e
             JOIN alarms a ON a.id = e.alarm_id WHERE e.seq > $seq ORDER BY e.seq LIMIT $limit`,
          { seq, limit },
        )
      ).map(eventFromRow),
    );
  }

  outboxHead(): Promise<OutboxEntry | null> {
    return this.serial(async () => {
      const [row] = await this.rows(
        `SELECT o.attempts, o.next_attempt_at, e.seq, e.kind, e.time, ${ALARM_COLUMNS}
           FROM alarm_outbox o JOIN alarm_events e USING (seq) JOIN alarms a ON a.id = e.alarm_id
          ORDER BY o.seq LIMIT 1`,
      );
      if (!row) return null;
      return {
        event: eventFromRow(row),
        attempts: Number(row.attempts),
        nextAttemptAt: Number(row.next_attempt_at),
      };
    });
  }

  delivered(seq: number): Promise<void> {
    return this.serial(async () => {
      await this.connection.run("DELETE FROM alarm_outbox WHERE seq = $seq", { seq } as never);
    });
  }

  failed(seq: number, attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.serial(async () => {
      await this.connection.run(
        `UPDATE alarm_outbox SET attempts = $attempts, next_attempt_at = $next, last_error = $error
          WHERE seq = $seq`,
        { seq, attempts, next: nextAttemptAt, error: error.slice(0, 500) } as never,
      );
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      this.connection.closeSync();
    });
  }
}

function alarmFromRow(row: Record<string, unknown>): Alarm {
  return {
    id: String(row.id),
    turbine_id: String(row.turbine_id),
    rule: String(row.rule) as AlarmRule,
    opened_at: Number(row.opened_at),
    closed_at: row.closed_at === null || row.closed_at === undefined ? null : Number(row.closed_at),
    detail: String(row.detail),
    reading: typeof row.reading === "string" ? JSON.parse(row.reading) : null,
  };
}

/** An event with its alarm as it was then: an `opened` event's alarm was still open. */
function eventFromRow(row: Record<string, unknown>): AlarmEvent {
  const kind = String(row.kind) as AlarmEventKind;
  const alarm = alarmFromRow(row);
  if (kind === "opened") alarm.closed_at = null;
  return { seq: Number(row.seq), kind, time: Number(row.time), alarm };
}
