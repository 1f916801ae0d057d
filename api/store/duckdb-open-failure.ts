// Why the DuckDB file could not be opened, said so that whoever starts gust knows what to do.
// DuckDB reports every failure as an "IO Error" with a sentence of its own; the cases a user can
// act on are told apart by that sentence (a lock held by another process, a file that is not a
// database or is damaged, one written by a newer DuckDB) or by the system error it quotes.

/** The message for a failed open of `path`; the error's own first line is kept at its end. */
export function openFailureMessage(path: string, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const said = text.split("\n")[0] ?? "";
  const reason = (() => {
    const lock = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(text);
    if (lock || /Could not set lock/.test(text)) {
      const holder = lock ? `process ${lock[2]} (${lock[1]})` : "another process";
      return `${holder} has it open, and only one process may write a DuckDB file. Stop that process (another gust server?), or give this one its own directory: DATA_DIR=/path npm run serve`;
    }
    if (/not a valid DuckDB database file/.test(text)) {
      return "it is not a DuckDB database (another kind of file, or one cut short). Move it aside (gust then starts an empty file) or restore it from a backup; DATA_DIR=/path starts gust elsewhere and leaves it alone";
    }
    if (/Corrupt database file|checksum/i.test(text)) {
      return "it is damaged (a block's checksum does not match). Restore it from a backup, or move it aside to start an empty one; keep the gust.duckdb.ingest-log directory beside it: its readings are applied to the file gust opens next";
    }
    if (/version number|newer version|serialization version/i.test(text)) {
      return "it was written by a newer DuckDB (a newer gust release), which this release cannot read. Run that release again, or point DATA_DIR at another directory";
    }
    if (/Read-only file system|EROFS/i.test(text)) {
      return "its directory is on a read-only filesystem, and gust writes there (the file, its ingest log). Mount it read-write, or set DATA_DIR to a writable directory";
    }
    if (/Permission denied|EACCES|EPERM/i.test(text)) {
      return "this user may not read and write it or its directory. Run gust as the user who owns DATA_DIR (or chown it to this one), or set DATA_DIR to a directory of this user's";
    }
    if (/No space left|ENOSPC|Disk quota/i.test(text)) {
      return "the disk is full. Free some space on it, or set DATA_DIR to a directory on another disk";
    }
    if (/Is a directory|EISDIR/i.test(text)) {
      return "a directory has its name. Move that directory aside, or set DATA_DIR to another directory";
    }
    return "check that DATA_DIR is a local directory this user may write, and that no other process uses the file";
  })();
  return `cannot open the DuckDB file ${path}: ${reason}. (${said})`;
}
