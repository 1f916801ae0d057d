// A large batch is parsed a part of its readings at a time (api/readings/request-body.ts,
// parseJson). It must answer exactly as JSON.parse of the whole body: the same value, or the
// same 400 saying where the JSON broke, whatever the bytes (broken JSON, stray commas and
// brackets, invalid UTF-8 at a part's edge).
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import {
  BATCH_PART_BYTES,
  BodyError,
  decodeBody,
  parseJson,
} from "../../api/readings/request-body.ts";

/** JSON.parse of the whole body as the 400 states it, or the value. */
function wholeAnswer(bytes: Buffer): unknown {
  try {
    return { value: JSON.parse(bytes.toString("utf8")) };
  } catch (error) {
    return { malformed: `The body is not valid JSON: ${(error as Error).message}.` };
  }
}

/** parseJson's answer, after the shape pass; undefined when the shape pass refuses the body. */
async function partsAnswer(bytes: Buffer): Promise<unknown> {
  const body = await decodeBody(bytes, undefined).catch((error: unknown) => {
    if (error instanceof BodyError && error.slug !== "malformed-json") return undefined;
    throw error;
  });
  if (body === undefined) return undefined;
  try {
    return { value: parseJson(body) };
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    return { malformed: error.message };
  }
}

// Readings of about 200 bytes, so that a few hundred make a batch of several parts.
const reading = fc
  .record({
    turbine_id: fc.string({ unit: "binary", maxLength: 12 }),
    power_kw: fc.double({ noNaN: true, noDefaultInfinity: true }),
    note: fc.string({ unit: "grapheme", minLength: 40, maxLength: 60 }),
    extra: fc.jsonValue({ maxDepth: 2 }),
  })
  .map((r) => `{"pad":"${"p".repeat(120)}",${JSON.stringify(r).slice(1)}`);

// What may break a body anywhere: JSON's structure, whitespace, bytes that are not UTF-8.
const damage: fc.Arbitrary<Damage> = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  insert: fc.constantFrom(",", "]", "[", "}", "{", '"', "x", " ", "\\", "", ",,", "],[", "\xff"),
  remove: fc.nat({ max: 2 }),
});

interface Damage {
  at: number;
  insert: string;
  remove: number;
}

function damaged(text: string, { at, insert, remove }: Damage): Buffer {
  const bytes = Buffer.from(text);
  const where = Math.floor(at * bytes.length);
  const inserted = insert === "\xff" ? Buffer.from([0xff]) : Buffer.from(insert);
  return Buffer.concat([bytes.subarray(0, where), inserted, bytes.subarray(where + remove)]);
}

describe("a large batch parsed in parts", () => {
  it("gives JSON.parse's value or error for any batch, whole or damaged", async () => {
    let parted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(reading, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 300, max: 900 }),
        fc.option(damage, { nil: undefined }),
        async (sample, count, harm) => {
          const readings = Array.from({ length: count }, (_, i) => sample[i % sample.length]);
          const text = `{"readings":[${readings.join(",")}]}`;
          const bytes = harm ? damaged(text, harm) : Buffer.from(text);
          if (bytes.length > BATCH_PART_BYTES) parted++;
          const answer = await partsAnswer(bytes);
          if (answer !== undefined) expect(answer).toEqual(wholeAnswer(bytes));
        },
      ),
      { numRuns: 150, seed: 13 },
    );
    expect(parted).toBeGreaterThan(100);
  });

  it("parses the whole body where a part would mislead: empty elements, other members", async () => {
    const big = `{"pad":"${"p".repeat(BATCH_PART_BYTES)}"}`;
    for (const text of [
      `{"readings":[${big},]}`,
      `{"readings":[${big},${big},,1]}`,
      `{"readings":[${big}],"other":[${big},1]}`,
      `{"readings":[${big},${big}],"readings":[1]}`,
      `{"readings":[${big},${big}]}`,
    ]) {
      const bytes = Buffer.from(text);
      expect(await partsAnswer(bytes)).toEqual(wholeAnswer(bytes));
    }
  });

  it("cuts a batch between readings, as many as they take, and finds the same readings", async () => {
    // Multi-byte characters at every part's edge: each part decodes as it does in the whole.
    const readings = Array.from(
      { length: 1000 },
      (_, i) => `{"turbine_id":"é-${i}","note":"${"€".repeat(60)}","n":${i}}`,
    );
    const bytes = Buffer.from(`{"readings":[${readings.join(",")}]}`);
    expect(bytes.length).toBeGreaterThan(3 * BATCH_PART_BYTES);
    const body = await decodeBody(bytes, undefined);
    expect(body.readingSeparators).toHaveLength(999);
    const parse = vi.spyOn(JSON, "parse");
    try {
      const parsed = parseJson(body);
      // Parts, none far over the part size: no string of the whole batch was made.
      const parts = parse.mock.calls.map(([text]) => text.length);
      expect(parts.length).toBeGreaterThan(2);
      for (const length of parts) expect(length).toBeLessThan(BATCH_PART_BYTES + 400);
      parse.mockRestore();
      expect(parsed).toEqual(JSON.parse(bytes.toString("utf8")));
    } finally {
      parse.mockRestore();
    }
  });
});
