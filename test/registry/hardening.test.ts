// Registry bodies are bounded and their text is labels (issue 32, item 11): PUT bodies over their
// limit are a 413 before they are read, names and tags refuse control characters and bidi
// overrides, and a body that is not UTF-8 is a 400 instead of silently becoming U+FFFD.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_DESCRIPTION_BYTES, MAX_IMPORT_BYTES } from "../../api/routes/turbines.ts";
import { startTestServer, type TestServer } from "../api/fixture.ts";
import { call } from "./client.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function put(
  path: string,
  body: NonNullable<RequestInit["body"]>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method: "PUT",
    headers: {
      authorization: `Bearer ${server.operatorKey}`,
      "content-type": "application/json",
      ...headers,
    },
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: (await response.json()) as { detail: string },
  };
}

describe("PUT bodies", () => {
  it("over the limit are a 413 problem, by declared length or as they arrive", async () => {
    const big = JSON.stringify({ rated_kw: 2000, name: "x".repeat(MAX_DESCRIPTION_BYTES) });
    const declared = await put("/v1/turbines/big-1", big);
    expect(declared.status).toBe(413);
    expect(declared.type).toBe("application/problem+json");
    expect(declared.body.detail).toContain("at most 64 KiB");
    // Chunked, without a length: refused once past the limit, not after 200 MB.
    let pulled = 0;
    const chunk = new TextEncoder().encode(`${" ".repeat(64 * 1024 - 1)}\n`);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 3200) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const streamed = await put("/v1/turbines", endless);
    expect(streamed.status).toBe(413);
    expect(streamed.body.detail).toContain(`at most ${MAX_IMPORT_BYTES / 1048576} MiB`);
    expect(pulled).toBeLessThan(3200);
    expect((await call(server, "GET", "/v1/turbines/big-1")).status).toBe(404);
  });

  it("that are not UTF-8 are a 400 saying where", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"rated_kw":2000,"name":"Molen '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const answer = await put("/v1/turbines/utf-1", bytes);
    expect(answer.status).toBe(400);
    expect(answer.type).toBe("application/problem+json");
    expect(answer.body.detail).toContain("byte 31");
    expect((await call(server, "GET", "/v1/turbines/utf-1")).status).toBe(404);
  });
});

describe("names and tags", () => {
  it.each([
    ["NUL", "Molen\u0000 3"],
    ["a line break", "Molen\n3"],
    ["a C1 control", "Molen\u0085 3"],
    ["a right-to-left override", "Molen \u202e3"],
    ["an isolate", "Molen \u20663\u2069"],
  ])("refuse %s, with a pointer", async (_what, text) => {
    const answer = await call(server, "PUT", "/v1/turbines/ctl-1", {
      body: { rated_kw: 2000, name: text, project: text, tags: { owner: text } },
    });
    expect(answer.status).toBe(422);
    const pointers = answer.body.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(["/name", "/project", "/tags/owner"]);
    expect(answer.body.errors[0].detail).toMatch(/control characters.*U\+[0-9A-F]{4}/);
  });

  it("keep what people write: accents, scripts, emoji", async () => {
    const answer = await call(server, "PUT", "/v1/turbines/ok-1", {
      body: {
        rated_kw: 2000,
        name: "Windmühle Ōsaka 風車 🌬",
        tags: { owner: "Énergie de l'Ouest" },
      },
    });
    expect(answer.status).toBe(201);
  });
});
