// A bound on what one PUBLISH may make gust's broker hold. aedes (through mqtt-packet) reads a
// packet whole before anything sees it, so a 100 MiB publish would sit in memory before the
// write path could answer 413. This sits between the connection and aedes, reads only each
// packet's fixed header (and, for a long PUBLISH, its topic and packet id), and drops the payload
// of a PUBLISH over the body limit as it arrives: aedes gets the same PUBLISH with an empty
// payload, and the write path answers it 413 with the size it had (api/mqtt/embedded-broker.ts).
// MQTT 3.1.1 framing (aedes speaks no MQTT 5): a fixed header byte, a remaining length of 1 to 4
// bytes, then for a PUBLISH the topic (2-byte length + UTF-8) and, at QoS 1 and 2, a packet id.
import { Duplex } from "node:stream";

/** A PUBLISH whose payload was dropped: what its answer needs. */
export interface OversizedPublish {
  topic: string;
  /** Absent at QoS 0. */
  messageId?: number;
  /** The payload's size as sent. */
  payloadBytes: number;
}

const PUBLISH = 3;

/**
 * Splits a byte stream at MQTT packet boundaries and passes it on unchanged, except a PUBLISH
 * whose payload is over `maxPayloadBytes`: that one is passed on with an empty payload, and
 * `onOversized` says what it was. Throws on a malformed remaining length.
 */
export class PublishBound {
  private header: number[] = [];
  /** Bytes of the current packet still to pass on (`pass`) or drop (`skip`). */
  private remaining = 0;
  private state: "header" | "pass" | "topic" | "skip" = "header";
  /** An oversized PUBLISH's first byte, remaining length, and its variable header so far. */
  private first = 0;
  private length = 0;
  private variable: Buffer[] = [];
  private variableBytes = 0;

  constructor(
    private readonly maxPayloadBytes: number,
    private readonly onOversized: (publish: OversizedPublish) => void,
  ) {}

  /** The bytes to pass on for `chunk`. */
  feed(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.state === "header") {
        this.header.push(chunk[at++] as number);
        const done = this.headerLength();
        if (done === null) continue;
        const first = this.header[0] as number;
        if (first >> 4 === PUBLISH && done > this.maxPayloadBytes) {
          // Long enough that the payload may be over the limit: read the topic first.
          this.first = first;
          this.length = done;
          this.variable = [];
          this.variableBytes = 0;
          this.state = "topic";
        } else {
          out.push(Buffer.from(this.header));
          this.remaining = done;
          this.state = done > 0 ? "pass" : "header";
        }
        this.header = [];
      } else if (this.state === "pass" || this.state === "skip") {
        const take = Math.min(this.remaining, chunk.length - at);
        if (this.state === "pass") out.push(chunk.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = "header";
      } else {
        const need = this.variableNeeded() - this.variableBytes;
        const take = Math.min(need, chunk.length - at);
        this.variable.push(chunk.subarray(at, at + take));
        this.variableBytes += take;
        at += take;
        if (this.variableBytes === this.variableNeeded()) out.push(...this.topicRead());
      }
    }
    return out;
  }

  /** The remaining length once the header is complete; null while more bytes are needed. */
  private headerLength(): number | null {
    if (this.header.length < 2) return null;
    let value = 0;
    for (let i = 1; i < this.header.length; i++) {
      const byte = this.header[i] as number;
      value += (byte & 0x7f) * 128 ** (i - 1);
      if ((byte & 0x80) === 0) return value;
    }
    if (this.header.length === 5) throw new Error("malformed MQTT remaining length");
    return null;
  }

  /** The topic length (2 bytes), the topic, and a packet id at QoS 1 and 2. */
  private variableNeeded(): number {
    if (this.variableBytes < 2) return 2;
    const bytes = Buffer.concat(this.variable);
    this.variable = [bytes];
    const qos = (this.first >> 1) & 3;
    return 2 + bytes.readUInt16BE(0) + (qos > 0 ? 2 : 0);
  }

  private topicRead(): Buffer[] {
    const variable = Buffer.concat(this.variable);
    this.variable = [];
    const payloadBytes = this.length - variable.length;
    if (payloadBytes <= this.maxPayloadBytes) {
      // Within the limit after all: pass it on whole.
      this.remaining = payloadBytes;
      this.state = payloadBytes > 0 ? "pass" : "header";
      return [Buffer.concat([Buffer.from([this.first]), remainingLength(this.length)]), variable];
    }
    const topicLength = variable.readUInt16BE(0);
    const topic = variable.subarray(2, 2 + topicLength).toString("utf8");
    const qos = (this.first >> 1) & 3;
    this.onOversized({
      topic,
      ...(qos > 0 ? { messageId: variable.readUInt16BE(2 + topicLength) } : {}),
      payloadBytes,
    });
    this.remaining = payloadBytes;
    this.state = "skip";
    return [Buffer.concat([Buffer.from([this.first]), remainingLength(variable.length)]), variable];
  }
}

function remainingLength(value: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

/**
 * A connection as aedes reads it: `connection`'s bytes through a PublishBound, written to as is.
 * It carries the connection's remote address (failed-key accounting reads it).
 */
export class BoundedConnection extends Duplex {
  readonly remoteAddress: string | undefined;
  private readonly bound: PublishBound;

  constructor(
    private readonly connection: Duplex & { remoteAddress?: string },
    maxPayloadBytes: number,
    onOversized: (publish: OversizedPublish) => void,
  ) {
    super();
    this.remoteAddress = connection.remoteAddress;
    this.bound = new PublishBound(maxPayloadBytes, onOversized);
    connection.on("data", (chunk: Buffer) => {
      let parts: Buffer[];
      try {
        parts = this.bound.feed(chunk);
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      let more = true;
      for (const part of parts) more = this.push(part) && more;
      if (!more) connection.pause();
    });
    connection.on("end", () => this.push(null));
    connection.on("error", (error) => this.destroy(error));
    connection.on("close", () => this.destroy());
  }

  override _read(): void {
    this.connection.resume();
  }

  override _write(
    chunk: Buffer,
    encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    this.connection.write(chunk, encoding, done);
  }

  override _final(done: (error?: Error) => void): void {
    this.connection.end(done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.connection.destroy();
    done(error);
  }
}
