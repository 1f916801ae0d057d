// Turning the bytes of an ingest request into JSON, with the limits the contract promises:
// 1 MiB on the wire, gzip accepted, a cap on what gzip may expand to (a zip bomb is a 413) and on
// what all requests' gzip bodies hold inflated at once (beyond it a 503 with Retry-After), and
// no array, object or nesting larger than a batch of readings has (api/readings/json-shape-limits.ts),
// all checked before JSON.parse builds anything.
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { JsonShapeLimiter, type ShapeLimit } from "./json-shape-limits.ts";

export const MAX_BODY_BYTES = 1024 * 1024;
/** 1000 readings with 16 long tags each fit comfortably; anything larger is not a batch of ours. */
export const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;
/**
 * Inflated bytes held at once by all requests of this process together: four bodies at the
 * per-body cap. Small gzip bodies expand a thousandfold, so the per-body cap alone let a hundred
 * concurrent requests hold gigabytes; past this, a request answers 503 with Retry-After.
 */
export const MAX_INFLATED_IN_FLIGHT = 64 * 1024 * 1024;
const INFLATED_RETRY_AFTER_S = 1;

/** Why a body could not be read, mapped to its HTTP status by the route. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 503,
    readonly slug: string,
    readonly title: string,
    message: string,
    /** Seconds for a Retry-After header (503). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** The inflated bytes requests hold now, against a limit shared by all of them. */
export class InflatedBytes {
  private held = 0;
  constructor(readonly limit: number = MAX_INFLATED_IN_FLIGHT) {}

  /** Takes `bytes` more, or throws the 503 when that would pass the limit. */
  take(bytes: number): void {
    if (this.held + bytes > this.limit) {
      throw new BodyError(
        503,
        "busy",
        "Too many compressed bodies at once",
        `The server is inflating ${Math.round(this.held / 1048576)} MiB of gzip bodies for other requests, its limit: send this one again after ${INFLATED_RETRY_AFTER_S} s (Retry-After), or send fewer gzip requests at once.`,
        INFLATED_RETRY_AFTER_S,
      );
    }
    this.held += bytes;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }

  get inFlight(): number {
    return this.held;
  }
}

/** The process's one count: every request of every app in it shares the memory. */
export const inflatedInFlight = new InflatedBytes();

/** Content-Type must be JSON; parameters such as charset=utf-8 are fine. */
export function checkContentType(contentType: string | undefined): void {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new BodyError(
      415,
      "unsupported-media-type",
      "Unsupported media type",
      `Send the readings as JSON with Content-Type: application/json (got ${contentType ? `"${contentType}"` : "none"}).`,
    );
  }
}

function tooLarge(what: string): BodyError {
  return new BodyError(
    413,
    "payload-too-large",
    "Payload too large",
    `${what} Split the readings into smaller requests (at most 1000 readings and 1 MiB each).`,
  );
}

/** A declared Content-Length over MAX_BODY_BYTES is refused before any of the body is read. */
export function checkDeclaredLength(contentLength: string | undefined): number {
  const declared = Number(contentLength ?? Number.NaN);
  if (declared > MAX_BODY_BYTES) throw tooLarge(`The body is ${declared} bytes, over 1 MiB.`);
  return declared;
}

/** Reads a body that arrives in chunks, refusing more than MAX_BODY_BYTES as it comes. */
export async function readLimited(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw tooLarge("The body is over 1 MiB.");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * readLimited for a Node request, by its events: an async iterator over the stream costs more
 * than the rest of reading a small body. A body in one chunk is not copied.
 */
export function readRequestBody(request: Readable): Promise<Buffer> {
  // A client that left while the key was checked: no event would ever come.
  if (request.destroyed) return Promise.reject(new ClientGoneError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        done();
        // The rest is read and dropped by Node once the answer is sent.
        reject(tooLarge("The body is over 1 MiB."));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onClose = () => {
      done();
      reject(new ClientGoneError());
    };
    const done = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("close", onClose);
  });
}

/** What readBody needs of a request: Hono's HonoRequest is one. */
export interface BufferableRequest {
  header(name: string): string | undefined;
  arrayBuffer(): Promise<ArrayBuffer>;
  raw: { body: ReadableStream<Uint8Array> | null };
}

/** Reads the request body, refusing more than MAX_BODY_BYTES before it has all arrived. */
export async function readBody(request: BufferableRequest): Promise<Buffer> {
  const declared = checkDeclaredLength(request.header("content-length"));
  // With a declared length within the limit, let Hono buffer the body. Going through
  // HonoRequest rather than request.raw matters: on Node, touching the raw Request builds a full
  // web Request, which costs a third of the throughput for small readings.
  if (Number.isInteger(declared)) return Buffer.from(await request.arrayBuffer());
  const stream = request.raw.body;
  if (!stream) return Buffer.alloc(0);
  return readLimited(stream as AsyncIterable<Uint8Array>);
}

/** A body's JSON as bytes, with what the shape pass saw of it. */
export interface JsonBody {
  bytes: Buffer;
  /** The offsets of the commas between a batch's readings (JsonShapeLimiter). */
  readingSeparators: readonly number[];
  /** Gives back the inflated bytes' share of the in-flight limit: call once they are parsed. */
  release(): void;
}

const nothingToRelease = () => undefined;

/** Undoes Content-Encoding (identity or gzip) as a stream, checking the JSON's shape as it goes. */
export async function decodeBody(
  body: Buffer,
  contentEncoding: string | undefined,
  /** True once the client has gone: inflating stops there. */
  gone?: () => boolean,
  inflated: InflatedBytes = inflatedInFlight,
): Promise<JsonBody> {
  const encoding = contentEncoding?.trim().toLowerCase() ?? "identity";
  const limiter = new JsonShapeLimiter();
  if (encoding === "identity" || encoding === "") {
    checkShape(limiter.feed(body));
    return { bytes: body, readingSeparators: limiter.readingSeparators, release: nothingToRelease };
  }
  if (encoding !== "gzip") {
    throw new BodyError(
      415,
      "unsupported-content-encoding",
      "Unsupported content encoding",
      `Content-Encoding "${contentEncoding}" is not supported: send gzip or no encoding.`,
    );
  }
  // Inflated in zlib's thread pool chunk by chunk: the event loop stays free, and a bomb is
  // stopped at the first chunk past the limit or the first shape no batch has, not at its end.
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  gunzip.end(body);
  const chunks: Buffer[] = [];
  let size = 0;
  // Twice the inflated size while the chunks are joined; counted once, as what stays held.
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (gone?.()) throw new ClientGoneError();
      if (size + chunk.byteLength > MAX_DECOMPRESSED_BYTES)
        throw tooLarge("The gzip body expands to over 16 MiB.");
      inflated.take(chunk.byteLength);
      size += chunk.byteLength;
      checkShape(limiter.feed(chunk));
      chunks.push(chunk);
    }
  } catch (error) {
    inflated.give(size);
    if (error instanceof BodyError || error instanceof ClientGoneError) throw error;
    throw new BodyError(
      400,
      "malformed-gzip",
      "Malformed gzip body",
      "Content-Encoding is gzip but the body is not valid gzip data: compress the whole JSON body.",
    );
  } finally {
    gunzip.destroy();
  }
  let released = false;
  return {
    bytes: Buffer.concat(chunks, size),
    readingSeparators: limiter.readingSeparators,
    release: () => {
      if (!released) inflated.give(size);
      released = true;
    },
  };
}

/** The client closed the connection: nobody is waiting for the answer, so stop working. */
export class ClientGoneError extends Error {
  constructor() {
    super("the client closed the connection");
  }
}

function checkShape(crossed: ShapeLimit | null): void {
  if (crossed === null) return;
  switch (crossed.kind) {
    case "readings":
      throw tooLarge(
        `The batch has at least ${crossed.limit + 1} readings, over ${crossed.limit}.`,
      );
    case "elements":
      throw tooLarge(
        `The body holds an array of more than ${crossed.limit} elements; only the batch's readings come in an array.`,
      );
    case "members":
      throw tooLarge(
        `The body holds an object of more than ${crossed.limit} members; a reading has at most 9 fields, 16 tags and 64 measures.`,
      );
    case "name":
      throw tooLarge(
        `The body holds a member name longer than ${crossed.limit} bytes; field, tag and measure names are at most 60 characters.`,
      );
    case "values":
      throw tooLarge(`The body holds more than ${crossed.limit} JSON values.`);
    case "depth":
      throw new BodyError(
        400,
        "too-deeply-nested",
        "JSON nested too deeply",
        `The body nests objects and arrays more than ${crossed.limit} deep; a batch of readings nests 4 deep.`,
      );
  }
}

/** Parses JSON, answering where it broke. */
export function parseJson(body: JsonBody): unknown {
  return parseBatchInParts(body) ?? parseWhole(body.bytes);
}

/** Batches over this many bytes are parsed in parts of about this size. */
export const BATCH_PART_BYTES = 64 * 1024;
const BATCH_START = '{"readings":[';

/**
 * A batch of over BATCH_PART_BYTES, parsed a part of its readings at a time: V8 keeps a string
 * over 128 KiB in its large-object space, where decoding a 300 KiB batch of 20-measure readings
 * to one string cost a tenth of the time of the whole request; parts of 64 KiB are ordinary
 * strings. Only the compact envelope `{"readings":[...]}` is parsed so. Null when the body is
 * not such a batch or a part is not a list of JSON values: then the whole body is parsed, which
 * answers as ever (and says where the JSON broke).
 *
 * The same value as JSON.parse of the whole: when each part parses as a non-empty list, the
 * text between the envelope's brackets is those lists joined by commas, one list of values.
 */
function parseBatchInParts({ bytes, readingSeparators }: JsonBody): { readings: unknown[] } | null {
  const end = bytes.length - 2;
  if (bytes.length <= BATCH_PART_BYTES || !isBatchEnvelope(bytes)) return null;
  const readings: unknown[] = [];
  let start = BATCH_START.length;
  for (let k = 0; k <= readingSeparators.length; k++) {
    const stop = k < readingSeparators.length ? (readingSeparators[k] as number) : end;
    if (stop < end && stop - start < BATCH_PART_BYTES) continue;
    const part = parseList(bytes, start, stop);
    if (part === null) return null;
    for (const reading of part) readings.push(reading);
    start = stop + 1;
  }
  return { readings };
}

function isBatchEnvelope(bytes: Buffer): boolean {
  return (
    bytes.toString("latin1", 0, BATCH_START.length) === BATCH_START &&
    bytes[bytes.length - 2] === 0x5d && // ]
    bytes[bytes.length - 1] === 0x7d // }
  );
}

/** The JSON values of bytes start..end-1 read as a comma-separated list; null if they are not. */
function parseList(bytes: Buffer, start: number, end: number): unknown[] | null {
  try {
    // Cut at commas or brackets, so the UTF-8 of a part decodes as it does in the whole.
    const list: unknown[] = JSON.parse(`[${bytes.toString("utf8", start, end)}]`);
    return list.length > 0 ? list : null;
  } catch {
    return null;
  }
}

function parseWhole(text: Buffer): unknown {
  try {
    return JSON.parse(text.toString("utf8"));
  } catch (error) {
    throw new BodyError(
      400,
      "malformed-json",
      "Malformed JSON",
      `The body is not valid JSON: ${(error as Error).message}.`,
    );
  }
}
