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
 * JSON pointers to the keys and strings of a parsed JSON value that are not well-formed, at most
 * `limit` of them, with how many there are in all.
 */
export function malformedStrings(
  value: unknown,
  limit: number,
): { errors: ProblemFieldError[]; total: number } {
  const errors: ProblemFieldError[] = [];
  let total = 0;
  const note = (path: readonly (string | number)[]) => {
    total++;
    if (errors.length >= limit) return;
    const error: ProblemFieldError = { pointer: jsonPointer(path), detail: NOT_WELL_FORMED };
    if (path[0] === "readings" && typeof path[1] === "number") error.index = path[1];
    errors.push(error);
  };
  // Iterative: a parsed body is bounded in depth (json-shape-limits.ts) but other callers may not be.
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value: current, path } = item;
    if (typeof current === "string") {
      if (!isWellFormed(current)) note(path);
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        stack.push({ value: current[i], path: [...path, i] });
      }
    } else if (typeof current === "object" && current !== null) {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        if (!isWellFormed(key)) note([...path, key]);
        stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
  return { errors, total };
}

/** RFC 6901, as problem.ts writes them; a lone surrogate in a key is shown as U+FFFD. */
function jsonPointer(path: readonly PropertyKey[]): string {
  return `/${path.map((part) => String(part).toWellFormed().replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
}
