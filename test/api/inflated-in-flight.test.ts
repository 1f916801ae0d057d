// Small gzip bodies expand a thousandfold: the inflated bytes all requests hold at once are
// bounded, and past the bound a request answers 503 with Retry-After (issue 32, item 5).
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BodyError,
  decodeBody,
  InflatedBytes,
  inflatedInFlight,
  MAX_INFLATED_IN_FLIGHT,
  parseJson,
} from "../../api/readings/request-body.ts";
import { reading, startTestServer, type TestServer } from "./fixture.ts";

/** A batch that inflates to about `kib` KiB from a few KiB of gzip. */
function batch(kib: number): Buffer {
  const readings = Array.from({ length: 1000 }, (_, i) =>
    reading(`inf-${i % 10}`, 1 + i / 100, { tags: { note: "x".repeat(kib * 1024) } }),
  );
  return gzipSync(JSON.stringify({ readings }));
}

describe("the inflated bytes of concurrent bodies", () => {
  it("are bounded together: past the limit a 503 with Retry-After, within it once others finish", async () => {
    const budget = new InflatedBytes(3 * 1024 * 1024);
    const body = batch(1); // ~1.2 MiB inflated, a few KiB of gzip
    expect(body.byteLength).toBeLessThan(64 * 1024);
    const first = await decodeBody(body, "gzip", undefined, budget);
    const second = await decodeBody(body, "gzip", undefined, budget);
    const held = budget.inFlight;
    expect(held).toBe(first.bytes.byteLength + second.bytes.byteLength);
    const refused = await decodeBody(body, "gzip", undefined, budget).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BodyError);
    expect(refused).toMatchObject({ status: 503, retryAfter: 1 });
    // The refused body gave back what it had taken.
    expect(budget.inFlight).toBe(held);
    expect(parseJson(first)).toMatchObject({ readings: expect.any(Array) });
    first.release();
    first.release(); // once only
    const third = await decodeBody(body, "gzip", undefined, budget);
    third.release();
    second.release();
    expect(budget.inFlight).toBe(0);
  });
});

describe("POST /v1/measurements while others hold the inflated bytes", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it("answers 503 with Retry-After and a problem, then stores the same body once there is room", async () => {
    const body = { readings: [reading("inf-1", 1), reading("inf-1", 2)] };
    // Other requests hold all but a few bytes of the process's limit.
    inflatedInFlight.take(MAX_INFLATED_IN_FLIGHT - 16);
    try {
      const busy = await server.post(body, { gzip: true });
      expect(busy.status).toBe(503);
      expect(busy.headers.get("retry-after")).toBe("1");
      expect(busy.contentType).toBe("application/problem+json");
      expect(busy.body.detail).toContain("send this one again after 1 s");
      // Uncompressed bodies are bounded by their size on the wire and go through.
      expect((await server.post({ readings: [reading("inf-2", 1)] })).status).toBe(200);
    } finally {
      inflatedInFlight.give(MAX_INFLATED_IN_FLIGHT - 16);
    }
    const stored = await server.post(body, { gzip: true });
    expect(stored.status).toBe(200);
    expect(stored.body.accepted).toBe(2);
    // Nothing stays held after stored, refused and malformed bodies.
    await server.post(null, { gzip: true, raw: "{not json" });
    await server.post(null, {
      raw: gzipSync("[]").subarray(0, 8),
      headers: { "content-encoding": "gzip" },
    });
    expect(inflatedInFlight.inFlight).toBe(0);
  });
});
