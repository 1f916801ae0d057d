// Every string gust takes must be well-formed Unicode. JSON can carry a lone UTF-16 surrogate
// ("\ud800") that JavaScript accepts but no UTF-8 store can hold: DuckDB refuses the row, a
// Timestream dimension too. Raw UTF-8 bytes cannot encode one (Node decodes invalid sequences
// to U+FFFD), and query strings and paths decode the same way, so a lone surrogate can only come
// in as a \u escape inside a JSON body: that is where this is checked, for every string and key.
import type { ProblemFieldError } from "./problem.ts";

// ES2024 string methods, present in every Node gust supports (>= 20); tsconfig's lib is ES2023.
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** String.prototype.isWellFormed: in every Node gust supports (>= 20). */
export function isWellFormed(text: string): boolean {
  return text.isWellFormed();
}

export const NOT_WELL_FORMED = "must be well-formed Unicode: it holds a lone UTF-16 surrogate";

/**
 * The first character of `text` that a label must not hold, as "U+XXXX", or null: C0 controls
 * (NUL, line breaks, ...), DEL, C1 controls, and the bidirectional embeddings, overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069), which make a name display as other text than it is.
 */
export function unsafeCharacter(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    ) {
      return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return null;
}

export const UNSAFE_CHARACTER =
  "must not hold control characters (C0, DEL, C1) nor bidirectional overrides or isolates";

/**
 * JSON pointers to the keys and strings of a parsed JSON value that are not well-formed, at most
 * `limit` of them, with how many there are in all. Recursive: a parsed body is at most 8 deep
 * (api/readings/json-shape-limits.ts).
 */
export function malformedStrings(
  value: unknown,
  limit: number,
): { errors: ProblemFieldError[]; total: number } {
  const errors: ProblemFieldError[] = [];
  let total = 0;
  const path: (string | number)[] = [];
  const note = () => {
    total++;
    if (errors.length >= limit) return;
    const error: ProblemFieldError = { pointer: jsonPointer(path), detail: NOT_WELL_FORMED };
    if (path[0] === "readings" && typeof path[1] === "number") error.index = path[1];
    errors.push(error);
  };
  const walk = (current: unknown) => {
    if (typeof current === "string") {
      if (!isWellFormed(current)) note();
    } else if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        path.push(i);
        walk(current[i]);
        path.pop();
      }
    } else if (typeof current === "object" && current !== null) {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        path.push(key);
        if (!isWellFormed(key)) note();
        walk((current as Record<string, unknown>)[key]);
        path.pop();
      }
    }
  };
  walk(value);
  return { errors, total };
}

/** False when the JSON text has no \u escape of a surrogate: then every string in it is well-formed. */
export function mayHoldLoneSurrogate(json: Buffer): boolean {
  for (let at = json.indexOf("\\u"); at !== -1; at = json.indexOf("\\u", at + 2)) {
    const d = json[at + 2];
    const next = json[at + 3];
    if (
      (d === 0x64 || d === 0x44) &&
      next !== undefined &&
      /[89a-fA-F]/.test(String.fromCharCode(next))
    )
      return true;
  }
  return false;
}

/** RFC 6901, as problem.ts writes them; a lone surrogate in a key is shown as U+FFFD. */
function jsonPointer(path: readonly PropertyKey[]): string {
  return `/${path.map((part) => String(part).toWellFormed().replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
}
