// Where the key secret comes from on a laptop: API_KEY_SECRET, or a random secret made once
// under the data directory and reused, so that keys survive restarts and no default exists.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensurePrivateDir } from "../private-files.ts";

export const SECRET_FILE_NAME = "api-key-secret";

/**
 * The secret a local API created under `dataDir`, if it has one; never creates it. For the CLIs
 * that talk to a local API started from the same directory (simulator, fleet).
 */
export function existingLocalSecret(
  dataDir = process.env.DATA_DIR ?? "./data",
): string | undefined {
  try {
    return readFileSync(join(dataDir, SECRET_FILE_NAME), "utf8").trim();
  } catch {
    return undefined;
  }
}
const MIN_SECRET_LENGTH = 16;

export function checkSecret(secret: string, source: string): string {
  const trimmed = secret.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `${source} is too short: use at least ${MIN_SECRET_LENGTH} characters, ` +
        "for example the output of `openssl rand -hex 32`.",
    );
  }
  return trimmed;
}

export function loadLocalSecret(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.API_KEY_SECRET) return checkSecret(env.API_KEY_SECRET, "API_KEY_SECRET");
  const file = join(dataDir, SECRET_FILE_NAME);
  if (!existsSync(file)) {
    ensurePrivateDir(dataDir);
    try {
      // `wx` fails if another process created it meanwhile; we then read theirs.
      writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  chmodSync(file, 0o600);
  return checkSecret(readFileSync(file, "utf8"), file);
}
