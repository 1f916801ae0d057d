// The bound on what one PUBLISH makes gust's broker hold: packets pass through byte for byte
// however the stream is cut, and a PUBLISH over the body limit comes out with an empty payload
// (its size reported), its payload dropped as it arrives instead of buffered.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type OversizedPublish, PublishBound } from "../../api/mqtt/publish-bound.ts";

function remainingLength(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return bytes;
}

/** A PUBLISH as MQTT 3.1.1 frames it. */
function publish(topic: string, payload: Buffer, qos: 0 | 1, messageId = 7): Buffer {
  const name = Buffer.from(topic);
  const variable = Buffer.concat([
    Buffer.from([name.length >> 8, name.length & 0xff]),
    name,
    qos > 0 ? Buffer.from([messageId >> 8, messageId & 0xff]) : Buffer.alloc(0),
  ]);
  const length = variable.length + payload.length;
  return Buffer.concat([
    Buffer.from([0x30 | (qos << 1), ...remainingLength(length)]),
    variable,
    payload,
  ]);
}

const PINGREQ = Buffer.from([0xc0, 0x00]);
const LIMIT = 1000;
const TOPIC = "gust/v1/turbines/nl-0042/readings";

function run(stream: Buffer, cuts: number[]): { out: Buffer; dropped: OversizedPublish[] } {
  const dropped: OversizedPublish[] = [];
  const bound = new PublishBound(LIMIT, (p) => dropped.push(p));
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b)]) {
    out.push(...bound.feed(stream.subarray(at, cut)));
    at = cut;
  }
  out.push(...bound.feed(stream.subarray(at)));
  return { out: Buffer.concat(out), dropped };
}

describe("PublishBound", () => {
  it("passes packets within the limit through unchanged, however the stream is cut", () => {
    const stream = Buffer.concat([
      publish(TOPIC, Buffer.alloc(LIMIT, 65), 1),
      PINGREQ,
      publish(TOPIC, Buffer.alloc(300, 66), 0),
      publish(TOPIC, Buffer.alloc(0), 1, 9),
    ]);
    fc.assert(
      fc.property(fc.array(fc.nat(stream.length), { maxLength: 12 }), (cuts) => {
        const { out, dropped } = run(stream, cuts);
        expect(dropped).toEqual([]);
        expect(out.equals(stream)).toBe(true);
      }),
    );
  });

  it("drops the payload of a publish over the limit and reports its size", () => {
    const big = Buffer.alloc(LIMIT + 1, 67);
    const stream = Buffer.concat([
      publish(TOPIC, big, 1, 300),
      PINGREQ,
      publish(`${TOPIC}/gzip`, Buffer.alloc(200_000, 1), 0),
    ]);
    const expected = Buffer.concat([
      publish(TOPIC, Buffer.alloc(0), 1, 300),
      PINGREQ,
      publish(`${TOPIC}/gzip`, Buffer.alloc(0), 0),
    ]);
    fc.assert(
      fc.property(fc.array(fc.nat(stream.length), { maxLength: 12 }), (cuts) => {
        const { out, dropped } = run(stream, cuts);
        expect(dropped).toEqual([
          { topic: TOPIC, messageId: 300, payloadBytes: LIMIT + 1 },
          { topic: `${TOPIC}/gzip`, payloadBytes: 200_000 },
        ]);
        expect(out.equals(expected)).toBe(true);
      }),
    );
  });

  it("holds nothing of a huge payload as it streams in", () => {
    const dropped: OversizedPublish[] = [];
    const bound = new PublishBound(LIMIT, (p) => dropped.push(p));
    const size = 200 * 1024 * 1024;
    const head = publish(TOPIC, Buffer.alloc(0), 1);
    // The header of a 200 MiB publish, then its payload in 1 MiB chunks: nothing comes out.
    const header = Buffer.concat([
      Buffer.from([0x32, ...remainingLength(head.length - 2 + size)]),
      head.subarray(2),
    ]);
    let passed = bound.feed(header).reduce((n, b) => n + b.length, 0);
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 200; i++) passed += bound.feed(chunk).reduce((n, b) => n + b.length, 0);
    expect(passed).toBe(head.length);
    expect(dropped).toEqual([{ topic: TOPIC, messageId: 7, payloadBytes: size }]);
    expect(bound.feed(PINGREQ)).toEqual([PINGREQ]);
  });

  it("refuses a remaining length longer than four bytes", () => {
    const bound = new PublishBound(LIMIT, () => {});
    expect(() => bound.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(
      /malformed/,
    );
  });
});
