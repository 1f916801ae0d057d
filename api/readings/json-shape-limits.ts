// A byte-level pass over a JSON body as it arrives, before JSON.parse builds anything: it counts
// the elements of every array and the members of every object, how deep they nest, and how many
// values there are in all, and stops at the first limit crossed. JSON.parse of 16 MiB of `{}`
// blocks the event loop for seconds; this pass costs about a nanosecond a byte and lets a body
// that cannot be a batch of readings be refused without building it. It does not check the JSON
// grammar (JSON.parse does, afterwards); it only needs strings, escapes and brackets.

/** At most this many readings in a batch (MAX_READINGS_PER_REQUEST); no other array is longer. */
export const MAX_ARRAY_ELEMENTS = 1000;
/** A reading has 9 fields, 16 tags, 64 measures: no object of ours comes near this. */
export const MAX_OBJECT_MEMBERS = 256;
/** body > readings > reading > tags or measures is 4 deep; a little room for error reports. */
export const MAX_NESTING_DEPTH = 8;
/** 1000 readings x (9 fields + 16 tags + 64 measures), with room to spare. */
export const MAX_JSON_VALUES = 120_000;
/**
 * Field, tag and measure names are at most 60 characters. Long distinct names are what makes
 * JSON.parse slowest (110,000 names of 100 bytes: 0.8 s), so longer ones end the body here.
 */
export const MAX_NAME_BYTES = 64;

export type ShapeLimit =
  | { kind: "readings"; limit: number }
  | { kind: "elements"; limit: number }
  | { kind: "members"; limit: number }
  | { kind: "depth"; limit: number }
  | { kind: "values"; limit: number }
  | { kind: "name"; limit: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
/** Strings up to this many bytes are scanned in place; longer ones through indexOf. */
const SHORT_STRING = 24;

export class JsonShapeLimiter {
  private inString = false;
  /** The string being read is an object member's name, and its length so far. */
  private inName = false;
  private nameBytes = 0;
  /** The next string in the current object is a member's name (after { or ,). */
  private expectName = false;
  private escaped = false;
  /** Per open container: its count so far, and whether it is still empty. */
  private readonly counts: number[] = [];
  private readonly isArray: boolean[] = [];
  private awaitingFirst = false;
  private values = 0;

  /** Feeds the next bytes; returns the limit crossed, or null while within every limit. */
  feed(bytes: Uint8Array): ShapeLimit | null {
    const { counts, isArray } = this;
    const length = bytes.length;
    // The next quote and backslash at or after some position (length when none): a long
    // string's plain bytes are skipped in one step to the next of them, found by the native
    // indexOf. Each is searched again only once the scan has passed it: the feed stays linear.
    let nextQuote = -1;
    let nextBackslash = -1;
    for (let i = 0; i < length; i++) {
      const byte = bytes[i] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) {
          this.inString = false;
          continue;
        } else {
          // Bytes i .. stop-1 are plain string bytes: counted as the loop would, one by one.
          // Most strings are short (names, ids): looked at here; a longer one is searched.
          let stop = i + 1;
          const near = Math.min(length, i + SHORT_STRING);
          while (stop < near && bytes[stop] !== QUOTE && bytes[stop] !== BACKSLASH) stop++;
          if (stop === near && near < length) {
            if (nextQuote < stop) nextQuote = indexOrLength(bytes, QUOTE, stop);
            if (nextBackslash < stop) nextBackslash = indexOrLength(bytes, BACKSLASH, stop);
            stop = Math.min(nextQuote, nextBackslash);
          }
          if (this.inName) {
            this.nameBytes += stop - i;
            if (this.nameBytes > MAX_NAME_BYTES) return { kind: "name", limit: MAX_NAME_BYTES };
          }
          i = stop - 1;
          continue;
        }
        if (this.inName && ++this.nameBytes > MAX_NAME_BYTES) {
          return { kind: "name", limit: MAX_NAME_BYTES };
        }
        continue;
      }
      // Whitespace changes nothing; a closing bracket ends an empty container without a member.
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
      if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
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
      if (byte === COMMA) {
        if (depth === 0) continue;
        const count = (counts[depth - 1] as number) + 1;
        counts[depth - 1] = count;
        if (++this.values > MAX_JSON_VALUES) return { kind: "values", limit: MAX_JSON_VALUES };
        if (isArray[depth - 1]) {
          this.expectName = false;
          if (count > MAX_ARRAY_ELEMENTS) {
            // The top-level object's array is the batch's readings.
            const kind = depth === 2 && !isArray[0] ? "readings" : "elements";
            return { kind, limit: MAX_ARRAY_ELEMENTS };
          }
        } else {
          if (count > MAX_OBJECT_MEMBERS) return { kind: "members", limit: MAX_OBJECT_MEMBERS };
          this.expectName = true;
        }
      } else if (byte === QUOTE) {
        this.inString = true;
        this.inName = this.expectName;
        this.nameBytes = 0;
        this.expectName = false;
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        if (depth + 1 > MAX_NESTING_DEPTH) return { kind: "depth", limit: MAX_NESTING_DEPTH };
        counts.push(0);
        isArray.push(byte === OPEN_ARRAY);
        this.awaitingFirst = true;
        this.expectName = byte === OPEN_OBJECT;
      } else {
        // A number, literal, colon or whitespace: what follows up to the next bracket, comma or
        // quote changes nothing (the container's count is already taken), so it is skipped.
        while (i + 1 < length && STRUCTURAL[bytes[i + 1] as number] === 0) i++;
      }
    }
    return null;
  }
}

/** 1 for the bytes the pass acts on outside strings: brackets, braces, comma, quote. */
const STRUCTURAL = new Uint8Array(256);
for (const byte of [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, COMMA, QUOTE]) {
  STRUCTURAL[byte] = 1;
}

function indexOrLength(bytes: Uint8Array, byte: number, from: number): number {
  const at = bytes.indexOf(byte, from);
  return at === -1 ? bytes.length : at;
}
