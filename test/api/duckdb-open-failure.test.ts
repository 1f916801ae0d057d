// Each way the DuckDB file can fail to open gets its own sentence: what is wrong, what to do.
// The errors below are DuckDB's own texts.
import { describe, expect, it } from "vitest";
import { openFailureMessage } from "../../api/store/duckdb-open-failure.ts";

const PATH = "/srv/gust/gust.duckdb";
const said = (text: string) => openFailureMessage(PATH, new Error(text));

describe("openFailureMessage", () => {
  it("names the process holding the lock", () => {
    const message = said(
      `IO Error: Could not set lock on file "${PATH}": Conflicting lock is held in /usr/bin/node (PID 25317). See also https://duckdb.org/docs/stable/connect/concurrency`,
    );
    expect(message).toMatch(/process 25317 \(\/usr\/bin\/node\) has it open/);
    expect(message).toMatch(/DATA_DIR=/);
    expect(message).not.toMatch(/not a DuckDB database|damaged|read-only/);
  });

  it.each([
    [
      `IO Error: The file "${PATH}" exists, but it is not a valid DuckDB database file!`,
      /not a DuckDB database/,
    ],
    [
      "IO Error: Corrupt database file: computed checksum 142 does not match stored checksum 81 in block at location 4096",
      /damaged .* restore it from a backup/i,
    ],
    [
      `IO Error: Trying to read a database file with version number 99, but we can only read version 64.`,
      /newer DuckDB/,
    ],
    [`IO Error: Cannot open file "${PATH}": Read-only file system`, /read-only filesystem/],
    [`IO Error: Cannot open file "${PATH}": Permission denied`, /may not read and write it/],
    [`IO Error: Could not write file "${PATH}": No space left on device`, /disk is full/],
    [`EACCES: permission denied, mkdir '/srv/gust'`, /may not read and write it/],
    [`IO Error: Could not read from file "${PATH}": Is a directory`, /a directory has its name/],
  ])("%s", (text, expected) => {
    const message = said(text);
    expect(message).toMatch(expected);
    expect(message.startsWith(`cannot open the DuckDB file ${PATH}: `)).toBe(true);
    expect(message).not.toMatch(/Only one process may write/);
    // DuckDB's own words stay, for a search or a bug report.
    expect(message).toContain(text.split("\n")[0]);
  });

  it("falls back to what to check, with DuckDB's words", () => {
    expect(said("IO Error: something new")).toMatch(
      /check that DATA_DIR .* \(IO Error: something new\)$/,
    );
  });
});
