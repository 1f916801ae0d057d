// The Node server answers POST /v1/measurements without Hono (api/ingest-listener.ts). The
// same bytes sent to it and to the Hono app on Node (each over its own fresh DuckDB store) must
// get the same answer: status, media type, the headers a client acts on, and body.
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDeps, appFor } from "../../api/app.ts";
import { roleKey, turbineKey } from "../../api/auth/keys.ts";
import { createServerWithDirectIngest } from "../../api/ingest-listener.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import { type DuckDbStore, openDuckDbStore } from "../../api/store/duckdb-store.ts";
import { fixedClock } from "../support/manual-clock.ts";

const SECRET = "listener-secret-0123456789abcdef";
const NOW = Date.parse("2026-11-23T12:00:00Z");
const operator = roleKey(SECRET, "operator");

interface Side {
  url: URL;
  server: Server;
  store: DuckDbStore;
}

async function side(dir: string, direct: boolean): Promise<Side> {
  const store = await openDuckDbStore({
    path: join(dir, direct ? "direct.duckdb" : "hono.duckdb"),
    writeWindow: { maxAgeMs: 7 * 86_400_000, maxFutureMs: 15 * 60_000 },
  });
  const deps = appDeps({
    store,
    registry: new MemoryRegistry(() => NOW),
    keySecret: async () => SECRET,
    clock: fixedClock(NOW),
  });
  const app = appFor(deps);
  const server = serve({
    fetch: app.fetch,
    port: 0,
    hostname: "127.0.0.1",
    ...(direct ? { createServer: createServerWithDirectIngest(deps) } : {}),
  }) as Server;
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}`), server, store };
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends the exact bytes of a request (repeated headers, odd hosts) and reads the answer. */
function send(url: URL, head: string[], body: Buffer | string = ""): Promise<RawAnswer> {
  const bytes = Buffer.concat([
    Buffer.from(`${head.join("\r\n")}\r\nconnection: close\r\n\r\n`),
    Buffer.from(body),
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const [top = "", ...rest] = text.split("\r\n\r\n");
      const [statusLine = "", ...lines] = top.split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") });
    });
    // Written, not ended: a client that half-closes has gone as far as the server can tell.
    socket.write(bytes);
  });
}

/** What a client acts on: the status, media type, Retry-After, WWW-Authenticate and body. */
function essentials(answer: RawAnswer) {
  const chunked = answer.headers["transfer-encoding"] === "chunked";
  return {
    status: answer.status,
    contentType: answer.headers["content-type"],
    retryAfter: answer.headers["retry-after"],
    wwwAuthenticate: answer.headers["www-authenticate"],
    body: chunked ? dechunk(answer.body) : answer.body,
  };
}

function dechunk(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const line = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (!size) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}

const reading = (turbine: string, minute: number, extra: Record<string, unknown> = {}) => ({
  turbine_id: turbine,
  time: NOW - 3_600_000 + minute * 60_000,
  power_kw: 1200.5,
  wind_speed_ms: 8.5,
  status: "producing",
  ...extra,
});

function post(
  body: Buffer | string,
  headers: string[] = [`authorization: Bearer ${operator}`, "content-type: application/json"],
  host = "127.0.0.1",
): { head: string[]; body: Buffer | string } {
  return {
    head: [
      "POST /v1/measurements HTTP/1.1",
      `host: ${host}`,
      ...headers,
      `content-length: ${Buffer.byteLength(body)}`,
    ],
    body,
  };
}
const json = (value: unknown) => JSON.stringify(value);

// In order: later requests meet what earlier ones stored (duplicates, conflicts, versions).
const REQUESTS: [string, { head: string[]; body: Buffer | string }][] = [
  ["one reading", post(json(reading("t-1", 0)))],
  ["a batch", post(json({ readings: [reading("t-1", 1), reading("t-2", 1)] }))],
  ["a duplicate", post(json(reading("t-1", 0)))],
  [
    "a conflict in one measure",
    post(json(reading("t-1", 1, { measures: { rotor_speed_rpm: 1 } }))),
  ],
  ["a higher version", post(json(reading("t-1", 1, { version: 2 })))],
  ["measures", post(json(reading("t-3", 0, { measures: { rotor_speed_rpm: 14.2, x_y: -3 } })))],
  ["too old and too new", post(json({ readings: [reading("t-1", -10_000), reading("t-1", 90)] }))],
  ["a schema error", post(json({ readings: [reading("t-1", 5, { power_kw: "high" })] }))],
  ["tags", post(json(reading("t-1", 6, { tags: { province: "Zeeland" } })))],
  ["a bad measure", post(json(reading("t-1", 7, { measures: { "Bad-Name": 1 } })))],
  ["malformed JSON", post('{"turbine_id": ')],
  ["no key", post(json(reading("t-1", 8)), ["content-type: application/json"])],
  [
    "a wrong key",
    post(json(reading("t-1", 8)), [
      "authorization: Bearer gust.op.nope",
      "content-type: text/json",
    ]),
  ],
  [
    "a reader key",
    post(json(reading("t-1", 8)), [
      `authorization: Bearer ${roleKey(SECRET, "reader")}`,
      "content-type: application/json",
    ]),
  ],
  [
    "another turbine's key",
    post(json(reading("t-1", 8)), [
      `authorization: Bearer ${turbineKey(SECRET, "t-2")}`,
      "content-type: application/json",
    ]),
  ],
  [
    "the wrong media type",
    post(json(reading("t-1", 8)), [`authorization: Bearer ${operator}`, "content-type: text/csv"]),
  ],
  [
    "a repeated content type",
    post(json(reading("t-1", 8)), [
      `authorization: Bearer ${operator}`,
      "content-type: application/json",
      "content-type: application/json",
    ]),
  ],
  [
    "gzip",
    post(gzipSync(json(reading("t-1", 9))), [
      `authorization: Bearer ${operator}`,
      "content-type: application/json",
      "content-encoding: gzip",
    ]),
  ],
  [
    "broken gzip",
    post("not gzip", [
      `authorization: Bearer ${operator}`,
      "content-type: application/json",
      "content-encoding: gzip",
    ]),
  ],
  [
    "an unknown encoding",
    post(json(reading("t-1", 10)), [
      `authorization: Bearer ${operator}`,
      "content-type: application/json",
      "content-encoding: br",
    ]),
  ],
  [
    "a declared length over 1 MiB",
    {
      head: [
        "POST /v1/measurements HTTP/1.1",
        "host: 127.0.0.1",
        `authorization: Bearer ${operator}`,
        "content-type: application/json",
        "content-length: 2000000",
      ],
      body: "",
    },
  ],
  [
    "a chunked body",
    {
      head: [
        "POST /v1/measurements HTTP/1.1",
        "host: 127.0.0.1",
        `authorization: Bearer ${operator}`,
        "content-type: application/json",
        "transfer-encoding: chunked",
      ],
      body: (() => {
        const text = json(reading("t-4", 0));
        return `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`;
      })(),
    },
  ],
  ["too deep", post(`{"readings":[${"[".repeat(20)}${"]".repeat(20)}]}`)],
  ["an odd host", post(json(reading("t-5", 0)), undefined, "Example.COM")],
];

describe("the direct ingest route", () => {
  let dir: string;
  let direct: Side;
  let hono: Side;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gust-listener-"));
    direct = await side(dir, true);
    hono = await side(dir, false);
  });
  afterAll(async () => {
    for (const { server, store } of [direct, hono]) {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers every request as the Hono route does", async () => {
    for (const [name, request] of REQUESTS) {
      const viaDirect = essentials(await send(direct.url, request.head, request.body));
      const viaHono = essentials(await send(hono.url, request.head, request.body));
      expect({ name, ...viaDirect }).toEqual({ name, ...viaHono });
    }
  });

  it("stores the same readings", async () => {
    const rows = (store: DuckDbStore) =>
      store.select(
        "SELECT turbine_id, time, power_kw, version, rotor_speed_rpm FROM readings ORDER BY ALL",
      );
    const stored = await rows(direct.store);
    expect(stored.length).toBeGreaterThan(5);
    expect(stored).toEqual(await rows(hono.store));
  });
});
