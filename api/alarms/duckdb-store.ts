// The alarm store of the local server: three DuckDB tables beside the readings (same file, a
// connection of its own): alarms, alarm_events, alarm_outbox (the port, store.ts, says what each
// keeps). This process is the only evaluator, so nothing else opens or closes an alarm.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Alarm, AlarmEvent, AlarmEventKind, AlarmRule } from "./alarm.ts";
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

  record(changes: AlarmChange[], notify: boolean): Promise<AlarmEvent[]> {
    return this.serial(async () => {
      if (changes.length === 0) return [];
      await this.connection.run("BEGIN TRANSACTION");
      try {
        const [row] = await this.rows("SELECT coalesce(max(seq), 0) AS seq FROM alarm_events");
        let seq = Number(row?.seq ?? 0);
        const events: AlarmEvent[] = [];
        for (const change of changes) {
          const { alarm } = change;
          if (change.kind === "opened") {
            await this.connection.run(
              `INSERT INTO alarms VALUES ($id, $turbine, $rule, $opened, NULL, $detail, $reading)`,
              {
                id: alarm.id,
                turbine: alarm.turbine_id,
                rule: alarm.rule,
                opened: alarm.opened_at,
                detail: alarm.detail,
                reading: alarm.reading === null ? null : JSON.stringify(alarm.reading),
              } as never,
            );
          } else {
            await this.connection.run(`UPDATE alarms SET closed_at = $closed WHERE id = $id`, {
              id: alarm.id,
              closed: alarm.closed_at,
            } as never);
          }
          seq++;
          const time = change.kind === "opened" ? alarm.opened_at : (alarm.closed_at as number);
          await this.connection.run(`INSERT INTO alarm_events VALUES ($seq, $id, $kind, $time)`, {
            seq,
            id: alarm.id,
            kind: change.kind,
            time,
          } as never);
          if (notify) {
            await this.connection.run(`INSERT INTO alarm_outbox VALUES ($seq, 0, $time, NULL)`, {
              seq,
              time,
            } as never);
          }
          events.push({ seq, kind: change.kind, time, alarm: { ...alarm } });
        }
        await this.connection.run("COMMIT");
        return events;
      } catch (error) {
        await this.connection.run("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
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
    const sql = `SELECT ${ALARM_COLUMNS} FROM alarms a ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY opened_at DESC, id LIMIT $limit`;
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
