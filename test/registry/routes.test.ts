// The registry over HTTP on the local server: create, replace, If-Match, bulk import, listing
// with filters and paging, delete (readings stay), the key matrix, REQUIRE_REGISTERED.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { reading, startTestServer, type TestServer } from "../api/fixture.ts";
import { call, NOP_3 } from "./client.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe("PUT /v1/turbines/{turbine_id}", () => {
  it("creates (201), replaces (200), and keeps the etag of an unchanged description", async () => {
    const created = await call(server, "PUT", "/v1/turbines/nop-3", { body: NOP_3 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ turbine_id: "nop-3", ...NOP_3, key_generation: 1 });
    expect(created.headers.get("etag")).toBe(`"${created.body.etag}"`);

    const again = await call(server, "PUT", "/v1/turbines/nop-3", { body: NOP_3 });
    expect(again.status).toBe(200);
    expect(again.body.etag).toBe(created.body.etag);
    expect(again.body.updated_at).toBe(created.body.updated_at);

    const replaced = await call(server, "PUT", "/v1/turbines/nop-3", {
      body: { rated_kw: 7500, project: "NOP" },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ rated_kw: 7500, project: "NOP", model: null, tags: {} });
    expect(replaced.body.etag).not.toBe(created.body.etag);
    const read = await call(server, "GET", "/v1/turbines/nop-3", { key: server.readerKey });
    expect(read.body).toMatchObject({ registered: true, rated_kw: 7500, model: null });
  });

  it("is conditional with If-Match: 412 on a stale etag, stored only with the current one", async () => {
    const first = await call(server, "PUT", "/v1/turbines/cond-1", { body: { rated_kw: 2000 } });
    const etag = first.headers.get("etag") as string;
    const second = await call(server, "PUT", "/v1/turbines/cond-1", {
      body: { rated_kw: 2100 },
      headers: { "if-match": etag },
    });
    expect(second.status).toBe(200);
    const stale = await call(server, "PUT", "/v1/turbines/cond-1", {
      body: { rated_kw: 9999 },
      headers: { "if-match": etag },
    });
    expect(stale.status).toBe(412);
    expect(stale.contentType).toBe("application/problem+json");
    expect(stale.body.detail).toContain(second.body.etag);
    expect((await call(server, "GET", "/v1/turbines/cond-1")).body.rated_kw).toBe(2100);
    const absent = await call(server, "PUT", "/v1/turbines/cond-none", {
      body: { rated_kw: 1 },
      headers: { "if-match": "*" },
    });
    expect(absent.status).toBe(412);
    expect((await call(server, "GET", "/v1/turbines/cond-none")).status).toBe(404);
  });

  it("refuses bad descriptions with a pointer per field", async () => {
    const bad = await call(server, "PUT", "/v1/turbines/bad-1", {
      body: {
        rated_kw: 0,
        latitude: 91,
        longitude: -181,
        commissioned: "2013-13-01",
        tags: { project: "x", ts_a: "y", "bad name": "z" },
        colour: "red",
      },
    });
    expect(bad.status).toBe(422);
    const pointers = bad.body.errors.map((e: any) => e.pointer).sort();
    expect(pointers).toEqual(
      expect.arrayContaining([
        "/rated_kw",
        "/latitude",
        "/longitude",
        "/commissioned",
        "/tags/project",
        "/tags/ts_a",
        "/tags/bad name",
      ]),
    );
    expect(JSON.stringify(bad.body)).toContain("colour");
    const missing = await call(server, "PUT", "/v1/turbines/bad-2", { body: { name: "x" } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors.map((e: any) => e.pointer)).toEqual(["/rated_kw"]);
    expect((await call(server, "GET", "/v1/turbines/bad-1")).status).toBe(404);
  });

  it("refuses dimensions over their share of Timestream's 2 KB record, counted in UTF-8 bytes", async () => {
    // 16 tags of 2 + 80 bytes ("é" is two bytes in UTF-8): over the 921 bytes a record leaves
    // dimensions beside the reading's fields and its measures' 1024.
    const tags = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`t${i.toString(16)}`, "é".repeat(40)]),
    );
    const big = await call(server, "PUT", "/v1/turbines/big-1", {
      body: { rated_kw: 1, project: "p", model: "m", tags },
    });
    expect(big.status).toBe(422);
    expect(big.body.errors[0].detail).toMatch(/1350 bytes .*at most 921, Timestream's 2 KB record/);
    // The same count of ASCII characters fits.
    const ascii = Object.fromEntries(Object.keys(tags).map((k) => [k, "e".repeat(40)]));
    const fits = await call(server, "PUT", "/v1/turbines/big-1", {
      body: { rated_kw: 1, project: "p", model: "m", tags: ascii },
    });
    expect(fits.status).toBe(201);
    const reserved = await call(server, "PUT", "/v1/turbines/big-2", {
      body: { rated_kw: 1, tags: { measure_value_x: "1" } },
    });
    expect(reserved.status).toBe(422);
    expect(reserved.body.errors[0].pointer).toBe("/tags/measure_value_x");
    // A tag may not take a measure's name: a table's column is one or the other.
    const measureNamed = await call(server, "PUT", "/v1/turbines/big-2", {
      body: { rated_kw: 1, tags: { rotor_speed_rpm: "1", pitch_angle_deg_mean: "2" } },
    });
    expect(measureNamed.status).toBe(422);
    expect(measureNamed.body.errors.map((e: any) => e.pointer)).toEqual([
      "/tags/pitch_angle_deg_mean",
      "/tags/rotor_speed_rpm",
    ]);
    expect(measureNamed.body.errors[0].detail).toMatch(/is a measure's name/);
  });

  it("refuses a 129th dimension name in the fleet (Timestream's 128 per table), one turbine or many", async () => {
    // Turbines of 16 tag names each, all different: the fleet passes 128 names on the 8th or
    // sooner (the names of turbines registered by earlier tests count too).
    const tagsOf = (n: number) =>
      Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${n}_${i}`, "x"]));
    let over: any;
    let n = 0;
    for (; n < 9; n++) {
      over = await call(server, "PUT", `/v1/turbines/fleet-${n}`, {
        body: { rated_kw: 1, tags: tagsOf(n) },
      });
      if (over.status !== 201) break;
    }
    expect(n).toBeGreaterThan(3);
    expect(over.status).toBe(422);
    expect(over.body.errors[0].detail).toMatch(
      /fleet would use 1[34]\d dimension names.*at most 128/,
    );
    // Reusing names other turbines use is fine.
    const reuse = await call(server, "PUT", `/v1/turbines/fleet-${n}`, {
      body: { rated_kw: 1, tags: tagsOf(3) },
    });
    expect(reuse.status).toBe(201);
    const bulk = await call(server, "PUT", "/v1/turbines", {
      body: {
        turbines: [
          { turbine_id: "fleet-x", rated_kw: 1, tags: tagsOf(10) },
          { turbine_id: "fleet-y", rated_kw: 1, tags: tagsOf(11) },
        ],
      },
    });
    expect(bulk.status).toBe(422);
    for (let i = 0; i <= n; i++) await call(server, "DELETE", `/v1/turbines/fleet-${i}`);
  });
});

describe("PUT /v1/turbines (bulk)", () => {
  it("stores all, and a re-run changes nothing", async () => {
    const turbines = Array.from({ length: 1000 }, (_, i) => ({
      turbine_id: `bulk-${String(i).padStart(4, "0")}`,
      rated_kw: 2000 + i,
      project: `P${i % 7}`,
      tags: { province: i % 2 ? "Flevoland" : "Groningen" },
    }));
    const first = await call(server, "PUT", "/v1/turbines", { body: { turbines } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ created: 1000, replaced: 0, unchanged: 0 });
    const again = await call(server, "PUT", "/v1/turbines", { body: { turbines } });
    expect(again.body).toMatchObject({ created: 0, replaced: 0, unchanged: 1000 });
    expect(again.body.turbines.map((t: any) => t.etag)).toEqual(
      first.body.turbines.map((t: any) => t.etag),
    );
    const too = await call(server, "PUT", "/v1/turbines", {
      body: { turbines: [...turbines, { turbine_id: "bulk-x", rated_kw: 1 }] },
    });
    expect(too.status).toBe(422);
  });

  it("names every bad entry by index and field, and stores none", async () => {
    const answer = await call(server, "PUT", "/v1/turbines", {
      body: {
        turbines: [
          { turbine_id: "imp-0", rated_kw: 100 },
          { turbine_id: "imp-1", rated_kw: -1 },
          { turbine_id: "imp-2", rated_kw: 100, latitude: 100 },
          { turbine_id: "imp-0", rated_kw: 100 },
          { turbine_id: "bad id", rated_kw: 100 },
        ],
      },
    });
    expect(answer.status).toBe(422);
    const found = answer.body.errors.map((e: any) => [e.index, e.pointer]);
    expect(found).toEqual(
      expect.arrayContaining([
        [1, "/turbines/1/rated_kw"],
        [2, "/turbines/2/latitude"],
        [4, "/turbines/4/turbine_id"],
      ]),
    );
    expect((await call(server, "GET", "/v1/turbines/imp-0")).status).toBe(404);
    const duplicate = await call(server, "PUT", "/v1/turbines", {
      body: {
        turbines: [
          { turbine_id: "imp-0", rated_kw: 100 },
          { turbine_id: "imp-0", rated_kw: 200 },
        ],
      },
    });
    expect(duplicate.status).toBe(422);
    expect(duplicate.body.errors).toEqual([
      expect.objectContaining({ index: 1, pointer: "/turbines/1/turbine_id" }),
    ]);
  });
});

describe("GET /v1/turbines", () => {
  it("filters by project, model, tag, status and registration, and pages with a cursor", async () => {
    const fleet = [
      {
        turbine_id: "list-a",
        rated_kw: 1,
        project: "Alpha",
        model: "V90",
        tags: { province: "Zeeland" },
      },
      {
        turbine_id: "list-b",
        rated_kw: 1,
        project: "Alpha",
        model: "E-82",
        tags: { province: "Zeeland" },
      },
      {
        turbine_id: "list-c",
        rated_kw: 1,
        project: "Beta",
        model: "V90",
        tags: { province: "Fryslân" },
      },
    ];
    expect((await call(server, "PUT", "/v1/turbines", { body: { turbines: fleet } })).status).toBe(
      200,
    );
    const now = Date.now();
    await server.post({
      readings: [
        { ...reading("list-a", 5, {}, now), status: "fault" },
        reading("list-a", 2, {}, now),
        reading("list-b", 3, { status: "fault" }, now),
        reading("list-unreg", 1, {}, now),
        reading("list-unreg", 60 * 30, {}, now),
      ],
    });
    const ids = async (query: string) =>
      (await call(server, "GET", `/v1/turbines?${query}`, { key: server.readerKey })).body.turbines
        .map((t: any) => t.turbine_id)
        .filter((id: string) => id.startsWith("list-"));
    expect(await ids("project=Alpha")).toEqual(["list-a", "list-b"]);
    expect(await ids("model=V90")).toEqual(["list-a", "list-c"]);
    expect(await ids(`tag.province=${encodeURIComponent("Fryslân")}`)).toEqual(["list-c"]);
    expect(await ids("tag.province=Zeeland&model=E-82")).toEqual(["list-b"]);
    expect(await ids("status=fault&limit=1000")).toEqual(["list-b"]);
    expect(await ids("registered=false&limit=1000")).toEqual(["list-unreg"]);

    // A cursor is a turbine id: start the listing after "list".
    const after = Buffer.from("list").toString("base64url");
    const all = await call(server, "GET", `/v1/turbines?limit=20&cursor=${after}`, {
      key: server.readerKey,
    });
    const a = all.body.turbines.find((t: any) => t.turbine_id === "list-a");
    expect(a).toMatchObject({
      registered: true,
      project: "Alpha",
      status: "producing",
      readings_24h: 2,
    });
    expect(a.last_reading).toMatchObject({ turbine_id: "list-a", power_kw: 1502 });
    expect(a.last_seen).toBe(new Date(now - 2 * 60_000).toISOString());
    const unreg = all.body.turbines.find((t: any) => t.turbine_id === "list-unreg");
    expect(unreg).toMatchObject({ registered: false, rated_kw: null, readings_24h: 1 });
    const c = all.body.turbines.find((t: any) => t.turbine_id === "list-c");
    expect(c).toMatchObject({ last_seen: null, status: null, readings_24h: 0, last_reading: null });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await call(
        server,
        "GET",
        `/v1/turbines?limit=300${cursor ? `&cursor=${cursor}` : ""}`,
        { key: server.readerKey },
      );
      expect(page.body.turbines.length).toBeLessThanOrEqual(300);
      seen.push(...page.body.turbines.map((t: any) => t.turbine_id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(3);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(["bulk-0000", "bulk-0999", "list-unreg", "nop-3"]));
    expect(new Set(seen).size).toBe(seen.length);
    expect(
      (await call(server, "GET", "/v1/turbines?cursor=!!", { key: server.readerKey })).status,
    ).toBe(422);
    expect(
      (await call(server, "GET", "/v1/turbines?tag.bad-name=x", { key: server.readerKey })).status,
    ).toBe(422);
  });

  it("asks the store for the statuses of its page's turbines only, not the fleet's", async () => {
    const now = Date.now();
    await server.post({
      readings: Array.from({ length: 40 }, (_, i) =>
        reading(`page-${String(i).padStart(2, "0")}`, 1, {}, now),
      ),
    });
    const statusRows: number[] = [];
    const select = server.store.select.bind(server.store);
    const spy = vi.spyOn(server.store, "select").mockImplementation(async (sql) => {
      const rows = await select(sql);
      if (rows[0] && "time_ms" in rows[0]) statusRows.push(rows.length);
      return rows;
    });
    try {
      const cursor = Buffer.from("page-").toString("base64url");
      const page = await call(server, "GET", `/v1/turbines?limit=5&cursor=${cursor}`, {
        key: server.readerKey,
      });
      expect(page.body.turbines.map((t: any) => t.turbine_id)).toEqual([
        "page-00",
        "page-01",
        "page-02",
        "page-03",
        "page-04",
      ]);
      expect(page.body.turbines[0]).toMatchObject({ registered: false, readings_24h: 1 });
      expect(statusRows).toEqual([6]);
      statusRows.length = 0;
      const faults = await call(server, "GET", "/v1/turbines?status=fault&limit=1", {
        key: server.readerKey,
      });
      expect(faults.body.turbines).toHaveLength(1);
      expect(Math.max(...statusRows)).toBeLessThanOrEqual(1000);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("DELETE /v1/turbines/{turbine_id}", () => {
  it("removes the description and keeps the readings", async () => {
    await call(server, "PUT", "/v1/turbines/del-1", { body: { rated_kw: 900 } });
    await server.post({ readings: [reading("del-1", 1), reading("del-1", 2)] });
    const stale = await call(server, "DELETE", "/v1/turbines/del-1", {
      headers: { "if-match": '"nope"' },
    });
    expect(stale.status).toBe(412);
    const removed = await call(server, "DELETE", "/v1/turbines/del-1");
    expect(removed.status).toBe(204);
    expect((await call(server, "DELETE", "/v1/turbines/del-1")).status).toBe(404);
    expect(await server.stored("del-1")).toHaveLength(2);
    const after = await call(server, "GET", "/v1/turbines/del-1");
    expect(after.body).toMatchObject({ registered: false, readings_24h: 2 });
  });
});

describe("keys on every registry route", () => {
  it("lets the operator write, reader and operator list, a turbine read only itself", async () => {
    await call(server, "PUT", "/v1/turbines/auth-1", { body: { rated_kw: 1 } });
    const own = server.turbineKey("auth-1");
    const other = server.turbineKey("auth-2");
    const cases: [string, string, string, number][] = [
      // method, path, key, expected
      ["PUT", "/v1/turbines/auth-1", server.operatorKey, 200],
      ["PUT", "/v1/turbines/auth-1", server.readerKey, 403],
      ["PUT", "/v1/turbines/auth-1", own, 403],
      ["PUT", "/v1/turbines", server.operatorKey, 200],
      ["PUT", "/v1/turbines", server.readerKey, 403],
      ["PUT", "/v1/turbines", own, 403],
      ["GET", "/v1/turbines", server.operatorKey, 200],
      ["GET", "/v1/turbines", server.readerKey, 200],
      ["GET", "/v1/turbines", own, 403],
      ["GET", "/v1/turbines/auth-1", server.operatorKey, 200],
      ["GET", "/v1/turbines/auth-1", server.readerKey, 200],
      ["GET", "/v1/turbines/auth-1", own, 200],
      ["GET", "/v1/turbines/auth-1", other, 403],
      ["DELETE", "/v1/turbines/auth-1", server.readerKey, 403],
      ["DELETE", "/v1/turbines/auth-1", own, 403],
      ["GET", "/v1/turbines", "gust.op.forged", 401],
      ["PUT", "/v1/turbines/auth-1", "gust.op.forged", 401],
      ["DELETE", "/v1/turbines/auth-1", "gust.op.forged", 401],
      ["DELETE", "/v1/turbines/auth-1", server.operatorKey, 204],
    ];
    for (const [method, path, key, expected] of cases) {
      const body =
        method === "PUT"
          ? path === "/v1/turbines"
            ? { turbines: [{ turbine_id: "auth-1", rated_kw: 1 }] }
            : { rated_kw: 1 }
          : undefined;
      const answer = await call(server, method, path, { key, body });
      expect([method, path, key.slice(0, 8), answer.status]).toEqual([
        method,
        path,
        key.slice(0, 8),
        expected,
      ]);
    }
    const noKey = await fetch(`${server.url}/v1/turbines`);
    expect(noKey.status).toBe(401);
  });

  it("answers 415 for a body that is not JSON", async () => {
    const answer = await call(server, "PUT", "/v1/turbines/x", {
      body: { rated_kw: 1 },
      headers: { "content-type": "text/plain" },
    });
    expect(answer.status).toBe(415);
  });
});

describe("REQUIRE_REGISTERED=true", () => {
  it("refuses readings of unregistered turbines with a 403 that says how to register", async () => {
    const strict = await startTestServer({ requireRegistered: true });
    try {
      await call(strict, "PUT", "/v1/turbines/reg-1", { body: { rated_kw: 3000 } });
      const refused = await strict.post({ readings: [reading("reg-1", 1), reading("unreg-9", 1)] });
      expect(refused.status).toBe(403);
      expect(refused.body.detail).toMatch(/"unreg-9" is not registered/);
      expect(refused.body.detail).toContain("PUT /v1/turbines/unreg-9");
      expect(await strict.stored("reg-1")).toHaveLength(0);
      const own = await strict.post(reading("unreg-9", 1), { key: strict.turbineKey("unreg-9") });
      expect(own.status).toBe(403);
      const accepted = await strict.post({ readings: [reading("reg-1", 1)] });
      expect(accepted.body.accepted).toBe(1);
    } finally {
      await strict.stop();
    }
    // Without the setting, unregistered turbines may send.
    expect((await server.post(reading("unreg-9", 1))).body.accepted).toBe(1);
  });
});

describe("the DuckDB registry", () => {
  it("survives a restart of the server, and rotates keys (new generation and etag)", async () => {
    const first = await startTestServer();
    const dataDir = first.dataDir;
    try {
      await call(first, "PUT", "/v1/turbines/keep-1", { body: NOP_3 });
      const rotated = await first.registry.rotateKey("keep-1");
      expect(rotated).toMatchObject({ key_generation: 2, rated_kw: NOP_3.rated_kw });
      expect(await first.registry.rotateKey("absent")).toBeNull();
      await first.close();
      const again = await startTestServer({ dataDir });
      try {
        const read = await call(again, "GET", "/v1/turbines/keep-1");
        expect(read.body).toMatchObject({ ...NOP_3, key_generation: 2, etag: rotated?.etag });
        // A put keeps the key generation.
        const replaced = await call(again, "PUT", "/v1/turbines/keep-1", { body: { rated_kw: 1 } });
        expect(replaced.body.key_generation).toBe(2);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
