// Who may do what: every key kind against every action, on a real server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roleKey, turbineKey, verifyKey } from "../../api/auth/keys.ts";
import { reading, startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await server.post(reading("own-turbine", 1));
  await server.post(reading("other-turbine", 1));
});
afterAll(async () => {
  await server.stop();
});

type Caller =
  | "own turbine"
  | "other turbine's key"
  | "operator"
  | "reader"
  | "none"
  | "wrong secret"
  | "garbage";

function keyOf(caller: Caller): string | null {
  switch (caller) {
    case "own turbine":
      return server.turbineKey("own-turbine");
    case "other turbine's key":
      return server.turbineKey("other-turbine");
    case "operator":
      return server.operatorKey;
    case "reader":
      return server.readerKey;
    case "none":
      return null;
    case "wrong secret":
      return turbineKey("another-secret-0123456789", "own-turbine");
    case "garbage":
      return "gust.t.b3duLXR1cmJpbmU.not-a-mac";
  }
}

// caller -> [status writing own-turbine, status reading own-turbine]
const MATRIX: [Caller, number, number][] = [
  ["own turbine", 200, 200],
  ["other turbine's key", 403, 403],
  ["operator", 200, 200],
  ["reader", 403, 200],
  ["none", 401, 401],
  ["wrong secret", 401, 401],
  ["garbage", 401, 401],
];

describe.each(MATRIX)("%s", (caller, writeStatus, readStatus) => {
  it(`writes own-turbine: ${writeStatus}`, async () => {
    const before = (await server.stored("own-turbine")).length;
    const answer = await server.post(reading("own-turbine", 2 + before), { key: keyOf(caller) });
    expect(answer.status).toBe(writeStatus);
    expect((await server.stored("own-turbine")).length).toBe(
      before + (writeStatus === 200 ? 1 : 0),
    );
    if (writeStatus !== 200) expect(answer.contentType).toBe("application/problem+json");
    if (writeStatus === 401) expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it(`reads own-turbine: ${readStatus}`, async () => {
    const key = keyOf(caller);
    const answer =
      key === null
        ? await fetch(`${server.url}/v1/turbines/own-turbine/measurements`).then(async (r) => ({
            status: r.status,
          }))
        : await server.get("/v1/turbines/own-turbine/measurements", key);
    expect(answer.status).toBe(readStatus);
  });
});

describe("keys", () => {
  it("a turbine key cannot write a batch that holds one reading of another turbine", async () => {
    const answer = await server.post(
      { readings: [reading("own-turbine", 500), reading("other-turbine", 500)] },
      { key: server.turbineKey("own-turbine") },
    );
    expect(answer.status).toBe(403);
    expect(answer.body.detail).toContain('"other-turbine"');
    expect((await server.stored("own-turbine")).some((r) => r.power_kw === 2000)).toBe(false);
  });

  it("never echoes the key in an answer", async () => {
    const key = turbineKey("another-secret-0123456789", "own-turbine");
    const answer = await server.post(reading("own-turbine", 9), { key });
    expect(JSON.stringify(answer.body)).not.toContain(key);
  });

  it("verifies keys by their MAC and tells the role", () => {
    const secret = "unit-secret-0123456789";
    expect(verifyKey(secret, turbineKey(secret, "nl.0001:a"))).toEqual({
      role: "turbine",
      turbineId: "nl.0001:a",
      keyGeneration: 1,
    });
    expect(verifyKey(secret, roleKey(secret, "reader"))).toEqual({
      role: "reader",
      keyGeneration: 1,
    });
    expect(verifyKey(secret, roleKey(secret, "operator"))).toEqual({
      role: "operator",
      keyGeneration: 1,
    });
    expect(verifyKey(secret, roleKey("other-secret-0123456789", "operator"))).toBeNull();
    // The reader's MAC under the operator's prefix is not an operator key.
    const readerMac = roleKey(secret, "reader").slice("gust.rd.".length);
    expect(verifyKey(secret, `gust.op.${readerMac}`)).toBeNull();
  });
});

describe("verified keys", () => {
  it("a key verified under one secret is not accepted by a server with another", async () => {
    const other = await startTestServer({ keySecret: "a-different-secret-0123456789" });
    try {
      const key = server.turbineKey("own-turbine");
      expect((await server.post(reading("own-turbine", 700), { key })).status).toBe(200);
      expect((await other.post(reading("own-turbine", 700), { key })).status).toBe(401);
    } finally {
      await other.stop();
    }
  });
});
