// The shape limiter skips a string's plain bytes in one step (api/readings/json-shape-limits.ts).
// It must answer exactly as the plain byte-by-byte pass it replaced, kept here as the reference,
// on any bytes cut into any chunks: same limit crossed, or none.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  JsonShapeLimiter,
  MAX_ARRAY_ELEMENTS,
  MAX_JSON_VALUES,
  MAX_NAME_BYTES,
  MAX_NESTING_DEPTH,
  MAX_OBJECT_MEMBERS,
  type ShapeLimit,
} from "../../api/readings/json-shape-limits.ts";

/** The byte-by-byte pass as it was before strings were skipped. */
class ReferenceLimiter {
  private inString = false;
  private inName = false;
  private nameBytes = 0;
  private expectName = false;
  private escaped = false;
  private readonly counts: number[] = [];
  private readonly isArray: boolean[] = [];
  private awaitingFirst = false;
  private values = 0;

  feed(bytes: Uint8Array): ShapeLimit | null {
    const { counts, isArray } = this;
    for (const byte of bytes) {
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === 0x5c) this.escaped = true;
        else if (byte === 0x22) {
          this.inString = false;
          continue;
        }
        if (this.inName && ++this.nameBytes > MAX_NAME_BYTES) {
          return { kind: "name", limit: MAX_NAME_BYTES };
        }
        continue;
      }
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
      if (byte === 0x7d || byte === 0x5d) {
        counts.pop();
        isArray.pop();
        this.awaitingFirst = false;
        this.expectName = false;
        continue;
      }
      const depth = counts.length;
      if (this.awaitingFirst) {
        this.awaitingFirst = false;
        counts[depth - 1] = 1;
        if (++this.values > MAX_JSON_VALUES) return { kind: "values", limit: MAX_JSON_VALUES };
      }
      if (byte === 0x2c) {
        if (depth === 0) continue;
        const count = (counts[depth - 1] as number) + 1;
        counts[depth - 1] = count;
        if (++this.values > MAX_JSON_VALUES) return { kind: "values", limit: MAX_JSON_VALUES };
        if (isArray[depth - 1]) {
          this.expectName = false;
          if (count > MAX_ARRAY_ELEMENTS) {
            const kind = depth === 2 && !isArray[0] ? "readings" : "elements";
            return { kind, limit: MAX_ARRAY_ELEMENTS };
          }
        } else {
          if (count > MAX_OBJECT_MEMBERS) return { kind: "members", limit: MAX_OBJECT_MEMBERS };
          this.expectName = true;
        }
      } else if (byte === 0x22) {
        this.inString = true;
        this.inName = this.expectName;
        this.nameBytes = 0;
        this.expectName = false;
      } else if (byte === 0x7b || byte === 0x5b) {
        if (depth + 1 > MAX_NESTING_DEPTH) return { kind: "depth", limit: MAX_NESTING_DEPTH };
        counts.push(0);
        isArray.push(byte === 0x5b);
        this.awaitingFirst = true;
        this.expectName = byte === 0x7b;
      }
    }
    return null;
  }
}

/** Feeds `bytes` in the given chunks; the first limit crossed, with the chunk it was crossed in. */
function run(
  limiter: { feed(bytes: Uint8Array): ShapeLimit | null },
  bytes: Buffer,
  cuts: number[],
): { limit: ShapeLimit | null; chunk: number } {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  let chunk = 0;
  for (const end of [...points, bytes.length]) {
    const limit = limiter.feed(bytes.subarray(start, end));
    if (limit) return { limit, chunk };
    start = end;
    chunk++;
  }
  return { limit: null, chunk };
}

// Strings heavy in quotes, backslashes and long names: what the skipping must get right.
const piece = fc.oneof(
  fc.constantFrom('"', "\\", '\\"', "\\\\", "{", "}", "[", "]", ",", ":", " ", "1.5", "null"),
  fc.string({ maxLength: 80 }),
  fc.string({ minLength: 60, maxLength: 70 }).map((name) => `{"${name}":1}`),
  fc.json(),
);
// Near every limit: long arrays and objects of scalars (numbers, literals, whitespace), so that
// skipping a scalar's bytes must still count every comma.
const scalar = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom("true", "false", "null", " 1 ", "\n-2.5e3\t"),
);
const nearLimits = fc.oneof(
  fc
    .array(scalar, { minLength: MAX_ARRAY_ELEMENTS - 3, maxLength: MAX_ARRAY_ELEMENTS + 3 })
    .map((items) => `[${items.join(",")}]`),
  fc
    .array(scalar, { minLength: MAX_ARRAY_ELEMENTS - 3, maxLength: MAX_ARRAY_ELEMENTS + 3 })
    .map((items) => `{"readings":[${items.join(" , ")}]}`),
  fc
    .array(scalar, { minLength: MAX_OBJECT_MEMBERS - 3, maxLength: MAX_OBJECT_MEMBERS + 3 })
    .map((items) => `{${items.map((item, i) => `"m${i}":${item}`).join(",")}}`),
  fc
    .integer({ min: MAX_NESTING_DEPTH - 2, max: MAX_NESTING_DEPTH + 2 })
    .map((depth) => `${"[1,".repeat(depth)}2${"]".repeat(depth)}`),
);
const body = fc.oneof(
  { weight: 1, arbitrary: nearLimits },
  { weight: 3, arbitrary: fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join("")) },
  { weight: 3, arbitrary: fc.json({ maxDepth: 10 }) },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.dictionary(fc.string({ maxLength: 70 }), fc.jsonValue({ maxDepth: 2 })), {
        maxLength: 30,
      })
      .map((readings) => JSON.stringify({ readings })),
  },
);

describe("the JSON shape limiter", () => {
  it("answers as the byte-by-byte pass on any bytes, cut anywhere", () => {
    fc.assert(
      fc.property(body, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const bytes = Buffer.from(text);
        expect(run(new JsonShapeLimiter(), bytes, cuts)).toEqual(
          run(new ReferenceLimiter(), bytes, cuts),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("counts every value of a body past the value limit", () => {
    // 121 arrays of 1,000 numbers: 121,121 values, past MAX_JSON_VALUES.
    const row = `[${Array.from({ length: 1000 }, (_, i) => i * 1.5).join(",")}]`;
    const bytes = Buffer.from(`[${Array.from({ length: 121 }, () => row).join(",")}]`);
    for (const cuts of [[], [1000], [77, 5000, 123_456]]) {
      const answer = run(new JsonShapeLimiter(), bytes, cuts);
      expect(answer.limit).toEqual({ kind: "values", limit: MAX_JSON_VALUES });
      expect(answer).toEqual(run(new ReferenceLimiter(), bytes, cuts));
    }
  });

  it("finds a string's end wherever its quote or backslash falls among four bytes", () => {
    // Strings are skipped a word (4 bytes) at a time: every offset of the quote that ends a
    // name, and of escapes before it, must still be found, around the name limit too.
    for (let before = 0; before < 8; before++) {
      for (let length = MAX_NAME_BYTES - 6; length <= MAX_NAME_BYTES + 2; length++) {
        for (const ending of ["", '\\"', "\\\\", "\\n"]) {
          const name = `${"n".repeat(length)}${ending}`.slice(-length);
          const bytes = Buffer.from(`${" ".repeat(before)}{"${name}":"v${ending}","b":[1]}`);
          for (const cuts of [[], [before + 2 + (length >> 1)], [before + 3, bytes.length - 5]]) {
            expect(run(new JsonShapeLimiter(), bytes, cuts)).toEqual(
              run(new ReferenceLimiter(), bytes, cuts),
            );
          }
        }
      }
    }
  });

  it("still stops a long name split across chunks and escapes across a cut", () => {
    const name = "n".repeat(MAX_NAME_BYTES + 1);
    const bytes = Buffer.from(`{"${name}":1}`);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(run(new JsonShapeLimiter(), bytes, [cut]).limit).toEqual({
        kind: "name",
        limit: MAX_NAME_BYTES,
      });
    }
    // A quote escaped just before a cut does not end the string; the name stays short.
    const escaped = Buffer.from('{"a\\"b":[1,2]}');
    for (let cut = 0; cut <= escaped.length; cut++) {
      expect(run(new JsonShapeLimiter(), escaped, [cut]).limit).toBeNull();
    }
  });
});
