// On Lambda, POST /v1/measurements is answered without Hono (api/lambda-ingest.ts). The same
// event given to it and to the Hono app through Hono's Lambda adapter (each over its own fake
// Timestream) must get the same result, field by field: status, headers, body, encoding.
import { gzipSync } from "node:zlib";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { appDeps, appFor, errorResponse } from "../../api/app.ts";
import { roleKey, turbineKey } from "../../api/auth/keys.ts";
import { handle } from "../../api/lambda-adapter.ts";
import { answerIngest, isDirectIngest } from "../../api/lambda-ingest.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import { fixedClock } from "../support/manual-clock.ts";
import { createFakeTimestream, storeOnFake } from "../timestream/fake-timestream.ts";

const SECRET = "direct-ingest-secret-0123456789abcdef";
const NOW = Date.parse("2026-11-23T12:00:00Z");
const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function deps(options: { failingWrites?: boolean } = {}) {
  const fake = createFakeTimestream({ now: () => NOW });
  const store = storeOnFake(fake, 86_400_000);
  if (options.failingWrites) {
    store.write = async () => {
      throw new Error("an unexpected failure");
    };
  }
  return {
    fake,
    deps: appDeps({
      store,
      registry: new MemoryRegistry(() => NOW),
      keySecret: async () => SECRET,
      clock: fixedClock(NOW),
    }),
  };
}

function event(headers: Record<string, string>, body?: Buffer | string, base64 = false) {
  return {
    version: "2.0",
    routeKey: "POST /v1/measurements",
    rawPath: "/v1/measurements",
    rawQueryString: "",
    headers: { host: "abc123.execute-api.eu-west-1.amazonaws.com", ...headers },
    requestContext: {
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      http: {
        method: "POST",
        path: "/v1/measurements",
        protocol: "HTTP/1.1",
        sourceIp: "192.0.2.7",
      },
      requestId: "r",
      routeKey: "POST /v1/measurements",
      stage: "$default",
      timeEpoch: NOW,
    },
    ...(body === undefined
      ? {}
      : { body: base64 ? Buffer.from(body).toString("base64") : String(body) }),
    isBase64Encoded: base64,
  };
}

/** The same event both ways, each side over its own store: results and stored records. */
async function bothWays(e: ReturnType<typeof event>, options: { failingWrites?: boolean } = {}) {
  const direct = deps(options);
  const hono = deps(options);
  expect(isDirectIngest(e)).toBe(true);
  const viaDirect = await answerIngest(e, context, direct.deps, async () => errorResponse);
  const viaHono = await handle(appFor(hono.deps))(e as never, context);
  return { viaDirect, viaHono, stored: [direct.fake.records.size, hono.fake.records.size] };
}

const json = (key: string) => ({
  "content-type": "application/json",
  authorization: `Bearer ${key}`,
});
const operator = roleKey(SECRET, "operator");
const reading = (turbine: string, time = NOW - 60_000) =>
  JSON.stringify({ turbine_id: turbine, time, power_kw: 1200, wind_speed_ms: 8.5 });

describe("the Lambda's direct write path", () => {
  const cases: [string, ReturnType<typeof event>][] = [
    ["one reading", event(json(operator), reading("t-1"))],
    [
      "a batch with a reading too old",
      event(
        json(operator),
        JSON.stringify({
          readings: [JSON.parse(reading("t-1")), JSON.parse(reading("t-2", NOW - 3 * 86_400_000))],
        }),
      ),
    ],
    ["a base64 body", event(json(operator), reading("t-3"), true)],
    [
      "a gzip body",
      event({ ...json(operator), "content-encoding": "gzip" }, gzipSync(reading("t-4")), true),
    ],
    ["a turbine's own key", event(json(turbineKey(SECRET, "t-5")), reading("t-5"))],
    ["another turbine's key", event(json(turbineKey(SECRET, "t-6")), reading("t-5"))],
    ["a reader key", event(json(roleKey(SECRET, "reader")), reading("t-7"))],
    ["no key", event({ "content-type": "application/json" }, reading("t-8"))],
    ["a key with non-ASCII characters", event(json("gust.op.ü"), reading("t-8"))],
    [
      "headers in another case",
      event(
        { "Content-Type": "application/json", Authorization: `Bearer ${operator}` },
        reading("t-9"),
      ),
    ],
    ["bad JSON", event(json(operator), '{"turbine_id":')],
    ["a schema error", event(json(operator), '{"turbine_id":"x","power_kw":"high"}')],
    ["text/plain", event({ ...json(operator), "content-type": "text/plain" }, reading("t-10"))],
    ["no body", event(json(operator))],
    [
      "no body, a huge declared length",
      event({ ...json(operator), "content-length": String(5 * 1024 * 1024) }),
    ],
    ["a body over 1 MiB", event(json(operator), `[${" ".repeat(1024 * 1024)}]`)],
  ];
  for (const [name, e] of cases) {
    it(`answers ${name} as Hono does`, async () => {
      const { viaDirect, viaHono, stored } = await bothWays(e);
      expect(viaDirect).toEqual(viaHono);
      expect(stored[0]).toBe(stored[1]);
      if (viaDirect.statusCode === 200) expect(stored[0]).toBeGreaterThan(0);
    });
  }

  it("answers a failure the route did not expect as the app's error handler does", async () => {
    const { viaDirect, viaHono } = await bothWays(event(json(operator), reading("t-11")), {
      failingWrites: true,
    });
    expect(viaDirect.statusCode).toBe(500);
    expect(viaDirect).toEqual(viaHono);
  });

  it("leaves every other request, and headers Hono's adapter would refuse, to Hono", () => {
    const post = event(json(operator), reading("t-12"));
    expect(isDirectIngest(post)).toBe(true);
    expect(isDirectIngest({ ...post, rawPath: "/v1/measurements/" })).toBe(false);
    expect(
      isDirectIngest({
        ...post,
        requestContext: { ...post.requestContext, http: { method: "GET" } },
      }),
    ).toBe(false);
    expect(isDirectIngest({ ...post, headers: { ...post.headers, "x-a": "1\r\n2" } })).toBe(false);
    expect(isDirectIngest({ ...post, headers: { ...post.headers, "bad name": "1" } })).toBe(false);
  });
});
