// Issue 18: the classes of request an attacker with one key tried, each with several members,
// against a real server on a real DuckDB file.
import { readdirSync, statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../api/app.ts";
import { FAILED_KEY_THRESHOLD, FailedKeyThrottle } from "../../api/auth/failed-keys.ts";
import { turbineKey, verifyKey } from "../../api/auth/keys.ts";
import { loadLocalSecret } from "../../api/auth/secret.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import { call } from "../registry/client.ts";
import { fixedClock, ManualClock } from "../support/manual-clock.ts";
import { reading, startTestServer, TEST_SECRET, type TestServer } from "./fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requestTimeoutMs: 1500 });
});
afterAll(async () => {
  await server.stop();
});

function expectProblem(answer: { status: number; contentType: string; body: any }, status: number) {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toBe("application/problem+json");
  expect(answer.body.status).toBe(status);
}

describe("well-formed Unicode in every string", () => {
  const cases: [string, unknown, string][] = [
    [
      "a tag value (fast path)",
      reading("uni-1", 1, { tags: { project: "\ud800" } }),
      "/tags/project",
    ],
    [
      "a low surrogate alone",
      reading("uni-1", 1, { tags: { project: "a\udc00b" } }),
      "/tags/project",
    ],
    ["the turbine id", reading("uni-\ud83d", 1), "/turbine_id"],
    ["the status", reading("uni-1", 1, { status: "producing\udfff" }), "/status"],
    ["a time string", reading("uni-1", 1, { time: "2026-11-23T10:00:00\ud800Z" }), "/time"],
    ["an unknown key", { ...reading("uni-1", 1), "x\ud800": 1 }, "/x\ufffd"],
    [
      "a reading inside a batch",
      { readings: [reading("uni-1", 1), reading("uni-1", 2, { tags: { model: "E\udbff" } })] },
      "/readings/1/tags/model",
    ],
  ];
  it.each(cases)("refuses a lone surrogate in %s with a 422 pointer", async (_, body, pointer) => {
    const answer = await server.post(body);
    expectProblem(answer, 422);
    expect(answer.body.errors.map((e: any) => e.pointer)).toContain(pointer);
    expect(JSON.stringify(answer.body.errors)).toMatch(/well-formed Unicode/);
  });

  it("stores none of them, and the store stays healthy for everyone", async () => {
    expect(await server.stored("uni-1")).toHaveLength(0);
    expect((await server.post(reading("uni-1", 1))).status).toBe(200);
    expect((await server.get("/healthz")).status).toBe(200);
    expect(await server.stored("uni-1")).toHaveLength(1);
  });
});

describe("well-formed Unicode in the registry", () => {
  it.each([
    ["name", { rated_kw: 2000, name: "NOP \ud800" }, "/name"],
    ["project", { rated_kw: 2000, project: "\udc00" }, "/project"],
    ["model", { rated_kw: 2000, model: "E\udbff-126" }, "/model"],
    ["a tag value", { rated_kw: 2000, tags: { province: "Fl\ud800" } }, "/tags/province"],
  ])("refuses a lone surrogate in %s with a 422 pointer", async (_, body, pointer) => {
    const answer = await call(server, "PUT", "/v1/turbines/uni-reg", { body });
    expectProblem(answer, 422);
    expect(answer.body.errors.map((e: any) => e.pointer)).toContain(pointer);
    expect((await call(server, "GET", "/v1/turbines/uni-reg")).body.registered).not.toBe(true);
  });
});

describe("bounded error documents", () => {
  it("refuses the review's 1000 readings x 1600 bad tags as a 413 before parsing", async () => {
    const tags = Object.fromEntries(Array.from({ length: 1600 }, (_, i) => [`1bad${i}`, ""]));
    const body = {
      readings: Array.from({ length: 1000 }, (_, i) => reading("cap-1", i / 100, { tags })),
    };
    const answer = await server.post(body, { gzip: true });
    expectProblem(answer, 413);
    expect(answer.body.detail).toMatch(/more than 256 members/);
  });

  it("lists the first 100 errors of 1000 readings x 60 bad measures, and counts them", async () => {
    const measures = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`1bad${i}`, 0]));
    const body = {
      readings: Array.from({ length: 1000 }, (_, i) => reading("cap-1", i / 100, { measures })),
    };
    const answer = await server.post(body, { gzip: true });
    expectProblem(answer, 422);
    expect(answer.body.errors).toHaveLength(100);
    expect(answer.body.detail).toMatch(/the first 100 are listed/);
    expect(JSON.stringify(answer.body).length).toBeLessThan(64 * 1024);
    expect(await server.stored("cap-1")).toHaveLength(0);
  });

  it("caps the errors of many bad readings at 100 and says validation stopped", async () => {
    const body = {
      readings: Array.from({ length: 1000 }, (_, i) =>
        reading("cap-2", i / 100, { power_kw: "x", wind_speed_ms: -1, status: "?" }),
      ),
    };
    const answer = await server.post(body);
    expectProblem(answer, 422);
    expect(answer.body.errors).toHaveLength(100);
    expect(answer.body.detail).toMatch(/at least \d+ errors/);
  });

  it("refuses the reader key before reading its body, and a turbine key naming another before validating", async () => {
    const bad = {
      readings: Array.from({ length: 1000 }, () => ({ turbine_id: "other", junk: 1 })),
    };
    const reader = await server.post(bad, { key: server.readerKey });
    expectProblem(reader, 403);
    const turbine = await server.post(bad, { key: server.turbineKey("cap-3") });
    expectProblem(turbine, 403);
    expect(turbine.body.detail).toMatch(/"other"/);
  });
});

describe("parsing bombs", () => {
  it("refuses a gzip body of 16 MiB of {} as more than 1000 readings without building them", async () => {
    const bomb = `{"readings":[${"{},".repeat(5_000_000)}{}]}`;
    const answer = await server.post(null, { raw: bomb, gzip: true });
    expectProblem(answer, 413);
    expect(answer.body.detail).toMatch(/at least 1001 readings/);
  });

  it("refuses arrays, objects and nesting no batch has", async () => {
    const wide = JSON.stringify(
      reading("bomb-1", 1, {
        tags: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`t${i}`, "v"])),
      }),
    );
    expectProblem(await server.post(null, { raw: wide }), 413);
    const longArray = JSON.stringify(reading("bomb-1", 1, { extra: Array(1001).fill(0) }));
    expectProblem(await server.post(null, { raw: longArray }), 413);
    const deep = `{"readings":[{"turbine_id":"bomb-1","tags":${"[".repeat(100_000)}${"]".repeat(100_000)}}]}`;
    const answer = await server.post(null, { raw: deep, gzip: true });
    expectProblem(answer, 400);
    expect(answer.body.detail).toMatch(/nests/);
    const longName = JSON.stringify(
      reading("bomb-1", 1, { tags: { [`t${"x".repeat(64)}`]: "v" } }),
    );
    expect((await server.post(null, { raw: longName })).body.detail).toMatch(
      /longer than 64 bytes/,
    );
    const longValue = JSON.stringify({ readings: [{}, "y".repeat(100)] });
    expectProblem(await server.post(null, { raw: longValue }), 422);
    const manyValues = `{"readings":[${Array.from({ length: 1000 }, () => `{"tags":{${Array.from({ length: 200 }, (_, i) => `"t${i}":0`).join(",")}}}`).join(",")}]}`;
    expectProblem(await server.post(null, { raw: manyValues, gzip: true }), 413);
    expect(await server.stored("bomb-1")).toHaveLength(0);
  });

  it("still takes a full batch of readings with 64 measures each, gzipped", async () => {
    const measures = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`m${i}`, i / 7]));
    const body = {
      readings: Array.from({ length: 1000 }, (_, i) => reading("bomb-ok", i / 100, { measures })),
    };
    const answer = await server.post(body, { gzip: true });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(1000);
  });
});

describe("bounded measures", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["the largest double", { power_kw: Number.MAX_VALUE }, "/power_kw"],
    ["2 GW and a bit", { power_kw: 2_000_000.5 }, "/power_kw"],
    ["minus 2 GW and a bit", { power_kw: -2_000_001 }, "/power_kw"],
    ["a wind over 100 m/s", { wind_speed_ms: 100.01 }, "/wind_speed_ms"],
    ["a negative wind", { wind_speed_ms: -0.5 }, "/wind_speed_ms"],
  ];
  it.each(cases)("refuses %s", async (_, extra, pointer) => {
    const answer = await server.post(reading("range-1", 1, extra));
    expectProblem(answer, 422);
    expect(answer.body.errors.map((e: any) => e.pointer)).toContain(pointer);
  });

  it("takes the edges of the ranges", async () => {
    const answer = await server.post({
      readings: [
        reading("range-1", 1, { power_kw: 2_000_000, wind_speed_ms: 100 }),
        reading("range-1", 2, { power_kw: -2_000_000, wind_speed_ms: 0 }),
      ],
    });
    expect(answer.body.accepted).toBe(2);
  });
});

describe("times bounded to what dates can represent", () => {
  it.each([
    "/v1/power?from=0&to=9007199254740991",
    "/v1/power?to=100000000000000",
    "/v1/power?from=275760-09-13T00:00:00Z",
    "/v1/turbines/t-1/measurements?to=9007199254740991",
    "/v1/turbines/t-1/measurements?from=8640000000000001",
  ])("%s is a 422, not a 500", async (path) => {
    const answer = await server.get(path);
    expectProblem(answer, 422);
  });

  it("still reads from 1970", async () => {
    const answer = await server.get("/v1/power?from=0&to=3600000&every=1h");
    expect(answer.status).toBe(200);
  });
});

describe("docs assets", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])(
    "/docs/%s is a 404 problem",
    async (name) => {
      expectProblem(await server.get(`/docs/${name}`), 404);
    },
  );
});

describe("canonical keys", () => {
  const good = turbineKey(TEST_SECRET, "nl-0042");
  const [, , encoded, mac] = good.split(".");
  const variants = [
    `gust.t.${encoded}==.${mac}`,
    `gust.t.${encoded}=.${mac}`,
    `gust.t.${encoded?.slice(0, -1)}h.${mac}`, // same bytes: the last character's unused bits differ
    `gust.t.${encoded}.${mac}=`,
    `gust.t.${encoded}%.${mac}`,
  ];
  it("accepts the canonical key", () => {
    expect(verifyKey(TEST_SECRET, good)).toEqual({
      role: "turbine",
      turbineId: "nl-0042",
      keyGeneration: 1,
    });
  });
  it.each(variants)("refuses %s", async (key) => {
    expect(Buffer.from(key.split(".")[2] ?? "", "base64url").toString()).toBe("nl-0042");
    expect(verifyKey(TEST_SECRET, key)).toBeNull();
    expectProblem(await server.post(reading("nl-0042", 1), { key }), 401);
  });
});

describe("key rotation", () => {
  it("issues a new key and makes the old one a 401 at once; operator only; unregistered turbines keep theirs", async () => {
    const old = server.turbineKey("rot-1");
    expect((await server.post(reading("rot-1", 30), { key: old })).status).toBe(200);
    expect(
      (await call(server, "PUT", "/v1/turbines/rot-1", { body: { rated_kw: 3000 } })).status,
    ).toBe(201);
    // Registering changes nothing for the key.
    expect((await server.post(reading("rot-1", 29), { key: old })).status).toBe(200);
    for (const key of [old, server.readerKey]) {
      expectProblem(await call(server, "POST", "/v1/turbines/rot-1/keys/rotate", { key }), 403);
    }
    const rotated = await call(server, "POST", "/v1/turbines/rot-1/keys/rotate");
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ turbine_id: "rot-1", key_generation: 2 });
    expect(rotated.body.key).toBe(turbineKey(TEST_SECRET, "rot-1", 2));
    const refused = await server.post(reading("rot-1", 28), { key: old });
    expectProblem(refused, 401);
    expect(refused.body.detail).toMatch(/revoked by a key rotation/);
    expect((await server.get("/v1/turbines/rot-1/measurements", old)).status).toBe(401);
    expect((await server.post(reading("rot-1", 28), { key: rotated.body.key })).status).toBe(200);
    // A second rotation revokes the second key too.
    const again = await call(server, "POST", "/v1/turbines/rot-1/keys/rotate");
    expect(again.body.key_generation).toBe(3);
    expect((await server.post(reading("rot-1", 27), { key: rotated.body.key })).status).toBe(401);
    expect((await server.post(reading("rot-1", 27), { key: again.body.key })).status).toBe(200);
    // A generation the registry never issued, or spelled otherwise, is refused.
    expect(
      (await server.post(reading("rot-1", 26), { key: turbineKey(TEST_SECRET, "rot-1", 4) }))
        .status,
    ).toBe(401);
    expect(verifyKey(TEST_SECRET, again.body.key.replace(".3.", ".03."))).toBeNull();

    expectProblem(await call(server, "POST", "/v1/turbines/rot-none/keys/rotate"), 404);
    expect(
      (await server.post(reading("rot-none", 1), { key: server.turbineKey("rot-none") })).status,
    ).toBe(200);
  });
});

describe("private files", () => {
  it("creates DATA_DIR 0700 and its files 0600", async () => {
    const dataDir = join(server.dataDir, "fresh", "data");
    const local = await startTestServer({ dataDir });
    try {
      expect((await local.post(reading("perm-1", 1))).status).toBe(200);
      loadLocalSecret({}, dataDir);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, "gust.duckdb")).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, "api-key-secret")).mode & 0o777).toBe(0o600);
      const logDir = join(dataDir, "gust.duckdb.ingest-log");
      expect(statSync(logDir).mode & 0o777).toBe(0o700);
      for (const segment of readdirSync(logDir)) {
        expect(statSync(join(logDir, segment)).mode & 0o777).toBe(0o600);
      }
    } finally {
      await local.close();
    }
  });
});

/** Sends raw bytes on a fresh connection and returns everything the server answers. */
function rawRequest(bytes: string, options: { keepOpen?: boolean } = {}): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes);
      if (!options.keepOpen) socket.end();
    });
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      answer += chunk;
    });
    socket.on("end", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

function problemOf(answer: string): { status: number; contentType: string; body: any } {
  const [head = "", body = ""] = answer.split("\r\n\r\n");
  const status = Number(head.split(" ")[1]);
  const contentType = /content-type: ([^\r]+)/i.exec(head)?.[1] ?? "";
  return { status, contentType, body: JSON.parse(body) };
}

describe("protocol errors answered with problem documents", () => {
  it("431 for headers over Node's limit", async () => {
    const answer = await rawRequest(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expectProblem(problemOf(answer), 431);
  });

  it("400 for a request that is not HTTP", async () => {
    const answer = await rawRequest("GARBAGE\x00 / HTTP/1.1\r\n\r\n");
    expectProblem(problemOf(answer), 400);
  });

  it("408 for a body that never finishes", async () => {
    const answer = await rawRequest(
      `POST /v1/measurements HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.operatorKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"turbine_id":`,
      { keepOpen: true },
    );
    expectProblem(problemOf(answer), 408);
  });
});

describe("reads while the store is unavailable", () => {
  it("answers 503 with Retry-After, and /healthz logs why", async () => {
    const local = await startTestServer();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect((await local.post(reading("down-1", 1))).status).toBe(200);
      await local.store.close();
      for (const path of ["/v1/turbines/down-1/measurements", "/v1/power?every=1h", "/healthz"]) {
        const answer = await local.get(path);
        expectProblem(answer, 503);
        expect(answer.headers.get("retry-after")).toMatch(/^\d+$/);
      }
      expect(errors.mock.calls.flat().join(" ")).toMatch(/healthz 503.*closing/);
    } finally {
      errors.mockRestore();
      await local.close();
    }
  });
});

describe("failed key attempts", () => {
  it("are slowed past the threshold per address, doubling, while other addresses are not", () => {
    let now = 0;
    const throttle = new FailedKeyThrottle(() => now);
    const delays = Array.from({ length: FAILED_KEY_THRESHOLD + 3 }, () => throttle.fail("a"));
    expect(delays.slice(0, FAILED_KEY_THRESHOLD).every((d) => d === 0)).toBe(true);
    expect(delays.slice(FAILED_KEY_THRESHOLD)).toEqual([250, 500, 1000]);
    expect(throttle.fail("b")).toBe(0);
    now += 60_000;
    expect(throttle.fail("a")).toBe(0);
  });

  it("delays a wrong key after the threshold, but never a valid key from the same address", async () => {
    // The delay waits on the server's clock, which the test moves.
    const clock = new ManualClock(Date.now());
    const local = await startTestServer({ clock });
    try {
      const wrong = turbineKey("another-secret-0123456789", "thr-1");
      for (let i = 0; i < FAILED_KEY_THRESHOLD; i++) {
        expect((await local.post(reading("thr-1", 1), { key: wrong })).status).toBe(401);
      }
      let lateStatus = 0;
      const late = local.post(reading("thr-1", 1), { key: wrong }).then((answer) => {
        lateStatus = answer.status;
      });
      // A valid key from the same address is answered while the wrong one waits.
      const valid = await local.post(reading("thr-1", 1), { key: local.turbineKey("thr-1") });
      expect(valid.status).toBe(200);
      expect(lateStatus).toBe(0);
      await clock.advance(249);
      expect(lateStatus).toBe(0);
      await clock.runUntil(late);
      expect(lateStatus).toBe(401);
    } finally {
      await local.stop();
    }
  });

  it("on Lambda answers 429 with Retry-After at once past the threshold, never sleeping", async () => {
    const app = createApp({
      store: { measureColumns: async () => new Set() } as never,
      registry: new MemoryRegistry(),
      keySecret: async () => TEST_SECRET,
      clock: fixedClock(0),
      failedKeys: "refuse",
    });
    const timers = vi.spyOn(globalThis, "setTimeout");
    const wrong = { authorization: `Bearer ${turbineKey("another-secret-0123456789", "l-1")}` };
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < FAILED_KEY_THRESHOLD + 3; i++) {
      last = await app.request("/v1/turbines/l-1/measurements", { headers: wrong });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, FAILED_KEY_THRESHOLD).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(FAILED_KEY_THRESHOLD)).toEqual([429, 429, 429]);
    expect(last?.headers.get("retry-after")).toBe("1");
    expect(await last?.json()).toMatchObject({
      status: 429,
      detail: expect.stringMatching(/wait 1 s/),
    });
    expect(timers.mock.calls.filter(([, ms]) => Number(ms) >= 250)).toEqual([]);
    timers.mockRestore();
  });
});
