// Connections to the DuckDB file whose next transaction is begun ahead of need, for the store's
// pipelined direct commits (api/store/duckdb-store.ts).
//
// Why: a group of readings spends most of its time in COMMIT (the WAL write and its fsync),
// during which the event loop has nothing left to do but wait. With two connections, the next
// group appends its rows in its own transaction while the previous one commits: DuckDB lets
// transactions append to one table side by side. But a BEGIN waits while another connection
// commits (measured: as long as the commit), so each connection begins its next transaction as
// soon as its last one has ended, not when the next group needs it.
import type { DuckDBConnection } from "@duckdb/node-api";

/** A connection and its transaction that was begun ahead. */
export interface PrebegunTransaction {
  readonly connection: DuckDBConnection;
}

interface Slot extends PrebegunTransaction {
  /** Settles once the connection's next transaction is open (rejects if BEGIN failed). */
  ready: Promise<void>;
}

export class PrebegunTransactions {
  private readonly slots: Slot[];
  private next = 0;

  constructor(connections: readonly DuckDBConnection[]) {
    this.slots = connections.map((connection) => ({ connection, ready: begin(connection) }));
    for (const slot of this.slots) slot.ready.catch(() => undefined);
  }

  /**
   * The next connection in turn, once its transaction is open. Connections are taken in turn, so
   * one is taken again only after the groups on the others have been started.
   */
  async take(): Promise<PrebegunTransaction> {
    const slot = this.slots[this.next] as Slot;
    this.next = (this.next + 1) % this.slots.length;
    // A BEGIN that failed (the file closing, a full disk) is tried once more before giving up.
    await slot.ready.catch(() => begin(slot.connection));
    return slot;
  }

  /**
   * Ends the transaction (COMMIT or ROLLBACK) and begins the connection's next one right away.
   * Resolves or rejects as the COMMIT or ROLLBACK did.
   */
  end(transaction: PrebegunTransaction, how: "COMMIT" | "ROLLBACK"): Promise<void> {
    const slot = transaction as Slot;
    const ended = slot.connection.run(how).then(() => undefined);
    // A failed COMMIT leaves no transaction open; a ROLLBACK afterwards is harmless either way.
    slot.ready = ended
      .catch(() => slot.connection.run("ROLLBACK").catch(() => undefined))
      .then(() => begin(slot.connection));
    slot.ready.catch(() => undefined);
    return ended;
  }

  /** Ends every transaction begun ahead, for a change to the table's columns or for closing. */
  async pause(): Promise<void> {
    for (const slot of this.slots) {
      await slot.ready.catch(() => undefined);
      await slot.connection.run("ROLLBACK").catch(() => undefined);
      slot.ready = Promise.reject(new Error("paused"));
      slot.ready.catch(() => undefined);
    }
  }

  /** Begins every connection's next transaction again after `pause`. */
  resume(): void {
    for (const slot of this.slots) {
      slot.ready = begin(slot.connection);
      slot.ready.catch(() => undefined);
    }
  }

  /** Ends the transactions begun ahead and closes the connections. */
  async close(): Promise<void> {
    await this.pause();
    for (const slot of this.slots) slot.connection.closeSync();
  }
}

function begin(connection: DuckDBConnection): Promise<void> {
  return connection.run("BEGIN TRANSACTION").then(() => undefined);
}
