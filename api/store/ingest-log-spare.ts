// The ingest log's next segment, made ahead of need with its bytes already on disk (zeros).
//
// A line appended to a file that grows makes its fdatasync write the file's new size too: on
// ext4 that is a journal commit, which also waits for every other file's newly allocated data
// (DuckDB's WAL beside the log). A line written over bytes the file already has changes no
// metadata, so its sync writes the data alone, and single readings are faster for it
// (docs/adr/008-log-segments-made-ahead.md). The zeros after the last line are not lines:
// recovery drops them.
import { close, fdatasync, open, write } from "node:fs";
import { open as openDirectory, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { PRIVATE_FILE_MODE } from "../private-files.ts";

// The callback API in promises: a plain descriptor, which the log then writes and syncs with the
// sync calls (a FileHandle's would be closed under it when the handle is collected).
const openFile = promisify(open);
const writeAt = promisify(write);
const datasync = promisify(fdatasync);
const closeFile = promisify(close);

/** The size of a spare before any segment has ended, to learn the traffic from. */
export const FIRST_SPARE_BYTES = 1024 * 1024;
/** The least a spare is made: a quiet log writes little, and zeros cost disk writes too. */
export const MIN_SPARE_BYTES = 64 * 1024;
const ZEROS = Buffer.alloc(MIN_SPARE_BYTES);

/**
 * How large to make the next spare: what the last ended segment held, and a quarter more, never
 * more than a segment may hold (`maxBytes`).
 */
export function spareBytes(lastSegmentBytes: number | undefined, maxBytes: number): number {
  if (lastSegmentBytes === undefined) return FIRST_SPARE_BYTES;
  const wanted = Math.ceil((lastSegmentBytes * 1.25) / MIN_SPARE_BYTES) * MIN_SPARE_BYTES;
  return Math.min(maxBytes, Math.max(MIN_SPARE_BYTES, wanted));
}

/**
 * Creates the file (never one that exists) with `bytes` zero bytes, synced with its directory
 * entry, and answers its descriptor, open for writing at any offset. When any step fails, a
 * file it created is removed again, so that the segment can be opened the usual way.
 */
export async function makeSpare(path: string, dir: string, bytes: number): Promise<number> {
  const fd = await openFile(path, "wx+", PRIVATE_FILE_MODE);
  try {
    for (let at = 0; at < bytes; at += ZEROS.length) {
      await writeAt(fd, ZEROS, 0, Math.min(ZEROS.length, bytes - at), at);
    }
    await datasync(fd);
    await syncDirectory(dir);
    return fd;
  } catch (error) {
    await closeFile(fd);
    await rm(path, { force: true });
    throw error;
  }
}

/** Syncs a directory, so that the entries made in it survive a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await openDirectory(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
