// gust's files hold keys (the secret) and every reading: only the user running gust may read
// them. Directories are created 0700 and files 0600, whatever the umask.
import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the directory (and missing parents) 0700; an existing one is left as it is. */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE); // mkdir's mode passes through the umask
}

/**
 * An existing DATA_DIR is not changed (it may be shared, /tmp say), but a warning names it when
 * other users can read it.
 */
export function warnIfShared(dir: string, warn: (message: string) => void = console.warn): void {
  if (!existsSync(dir)) return;
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    warn(
      `gust: ${dir} can be read by other users (mode ${mode.toString(8)}); run chmod 700 ${dir} to keep the readings and keys private.`,
    );
  }
}

/** Makes an existing file 0600 (DuckDB creates its file with the umask's mode). */
export function makePrivate(file: string): void {
  if (existsSync(file)) chmodSync(file, PRIVATE_FILE_MODE);
}
