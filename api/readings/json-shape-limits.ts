// A byte-level pass over a JSON body as it arrives, before JSON.parse builds anything: it counts
// the elements of every array and the members of every object, how deep they nest, and how many
// values there are in all, and stops at the first limit crossed. JSON.parse of 16 MiB of `{}`
// blocks the event loop for seconds; this pass costs about a nanosecond a byte and lets a body
// that cannot be a batch of readings be refused without building it. It does not check the JSON
// grammar (JSON.parse does, afterwards); it only needs strings, escapes and brackets. On the way
// it notes where the commas between a batch's readings are, so that a large batch can be parsed
// in parts (api/readings/request-body.ts, parseJson).

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

export class JsonShapeLimiter {
  /**
   * -1 outside a string. Inside one cut by the end of a chunk: where the next chunk's string
   * bytes resume, 0, or 1 when the cut fell between a backslash and the byte it escapes.
   */
  private stringResume = -1;
  /** The string being read is an object member's name, and its length so far. */
  private inName = false;
  private nameBytes = 0;
  /** The next string in the current object is a member's name (after { or ,). */
  private expectName = false;
  /** Per open container: its count so far, and whether it is still empty. */
  private readonly counts: number[] = [];
  private readonly isArray: boolean[] = [];
  private awaitingFirst = false;
  private values = 0;
  /** Bytes fed before the current chunk: offsets below count from the first byte fed. */
  private fed = 0;
  /**
   * The offsets of the commas between the elements of an array that is a member of the
   * top-level object: in a batch, `{"readings":[...]}`, those between its readings.
   */
  readonly readingSeparators: number[] = [];

  /** Feeds the next bytes; returns the limit crossed, or null while within every limit. */
  feed(bytes: Uint8Array): ShapeLimit | null {
    // The state lives in locals while the bytes are scanned (fields cost a load and a store on
    // every byte) and goes back to the fields at the end of the chunk. After a limit is crossed
    // the body is refused, so the state need not be kept.
    const { counts, isArray } = this;
    const length = bytes.length;
    const words = new DataView(bytes.buffer, bytes.byteOffset, length);
    const offset = this.fed;
    this.fed += length;
    let { expectName, awaitingFirst, values } = this;
    let i = 0;
    if (this.stringResume >= 0) {
      const end = stringEnd(bytes, words, this.stringResume);
      if (this.inName) {
        this.nameBytes += Math.min(end, length);
        if (this.nameBytes > MAX_NAME_BYTES) return { kind: "name", limit: MAX_NAME_BYTES };
      }
      if (end >= length) {
        this.stringResume = end - length;
        return null;
      }
      this.stringResume = -1;
      i = end + 1;
    }
    for (; i < length; i++) {
      const byte = bytes[i] as number;
      // Whitespace changes nothing; a closing bracket ends an empty container without a member.
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
      if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        counts.pop();
        isArray.pop();
        awaitingFirst = false;
        expectName = false;
        continue;
      }
      const depth = counts.length;
      if (awaitingFirst) {
        awaitingFirst = false;
        counts[depth - 1] = 1;
        if (++values > MAX_JSON_VALUES) return { kind: "values", limit: MAX_JSON_VALUES };
      }
      if (byte === COMMA) {
        if (depth === 0) continue;
        const count = (counts[depth - 1] as number) + 1;
        counts[depth - 1] = count;
        if (++values > MAX_JSON_VALUES) return { kind: "values", limit: MAX_JSON_VALUES };
        if (isArray[depth - 1]) {
          expectName = false;
          // The top-level object's array is the batch's readings.
          const betweenReadings = depth === 2 && !isArray[0];
          if (count > MAX_ARRAY_ELEMENTS) {
            return { kind: betweenReadings ? "readings" : "elements", limit: MAX_ARRAY_ELEMENTS };
          }
          if (betweenReadings) this.readingSeparators.push(offset + i);
        } else {
          if (count > MAX_OBJECT_MEMBERS) return { kind: "members", limit: MAX_OBJECT_MEMBERS };
          expectName = true;
        }
      } else if (byte === QUOTE) {
        // A string's bytes are passed over in one step: only a name's length matters in them.
        const end = stringEnd(bytes, words, i + 1);
        const stringBytes = Math.min(end, length) - (i + 1);
        if (expectName && stringBytes > MAX_NAME_BYTES) {
          return { kind: "name", limit: MAX_NAME_BYTES };
        }
        if (end >= length) {
          this.stringResume = end - length;
          this.inName = expectName;
          this.nameBytes = stringBytes;
          expectName = false;
          break;
        }
        expectName = false;
        i = end;
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        if (depth + 1 > MAX_NESTING_DEPTH) return { kind: "depth", limit: MAX_NESTING_DEPTH };
        counts.push(0);
        isArray.push(byte === OPEN_ARRAY);
        awaitingFirst = true;
        expectName = byte === OPEN_OBJECT;
      } else {
        // A number, literal or colon: what follows up to the next bracket, comma or quote
        // changes nothing (the container's count is already taken), so it is skipped.
        while (i + 1 < length && STRUCTURAL[bytes[i + 1] as number] === 0) i++;
      }
    }
    this.expectName = expectName;
    this.awaitingFirst = awaitingFirst;
    this.values = values;
    return null;
  }
}

/** 1 for the bytes the pass acts on outside strings: brackets, braces, comma, quote. */
const STRUCTURAL = new Uint8Array(256);
for (const byte of [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, COMMA, QUOTE]) {
  STRUCTURAL[byte] = 1;
}

/**
 * The index of the quote that ends a string whose bytes go on at `from`; when the string does
 * not end in these bytes, their length, or their length + 1 when the last byte is a backslash
 * (the byte it escapes is the next chunk's first).
 */
function stringEnd(bytes: Uint8Array, words: DataView, from: number): number {
  const length = bytes.length;
  let i = from;
  for (;;) {
    // Four bytes at a time while none of them is a quote or a backslash: names are most of a
    // reading's bytes, and a loop over words takes a quarter of the steps of one over bytes.
    while (i + 4 <= length && !hasQuoteOrBackslash(words.getUint32(i, true))) i += 4;
    if (i >= length) return i;
    const byte = bytes[i] as number;
    if (byte === QUOTE) return i;
    i += byte === BACKSLASH ? 2 : 1;
  }
}

/** Whether one of a word's four bytes is a quote or a backslash (the "has a zero byte" test). */
function hasQuoteOrBackslash(word: number): boolean {
  const quotes = word ^ 0x22222222;
  const backslashes = word ^ 0x5c5c5c5c;
  const zeroQuote = ((quotes - 0x01010101) & ~quotes) | 0;
  const zeroBackslash = ((backslashes - 0x01010101) & ~backslashes) | 0;
  return ((zeroQuote | zeroBackslash) & 0x80808080) !== 0;
}
