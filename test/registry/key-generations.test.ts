// Key generations only go up (issue 32 item 3, issue 28 item 5): a deleted turbine's tombstone
// keeps its generation on every registry, a new registration continues from it, and the operator
// and reader keys have generations of their own, rotated through the API and kept in the file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey, turbineKey } from "../../api/auth/keys.ts";
import { openDuckDbRegistry } from "../../api/registry/duckdb-registry.ts";
import { DynamoDbRegistry } from "../../api/registry/dynamodb-registry.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import type { TurbineDescription, TurbineRegistry } from "../../api/registry/port.ts";
import { reading, startTestServer, TEST_SECRET } from "../api/fixture.ts";
import { call, NOP_3 } from "./client.ts";
import { startWireDynamoDb } from "./wire-dynamodb.ts";

const dir = mkdtempSync(join(tmpdir(), "gust-keygen-"));
const wire = await startWireDynamoDb();
afterAll(async () => {
  await wire.close();
  rmSync(dir, { recursive: true, force: true });
});

const description: TurbineDescription = {
  name: null,
  project: "Windpark Zeewolde",
  model: null,
  rated_kw: 4200,
  hub_height_m: null,
  rotor_diameter_m: null,
  latitude: null,
  longitude: null,
  commissioned: null,
  tags: {},
};

async function duckdb(file: string) {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  const registry = await openDuckDbRegistry(connection);
  return {
    registry,
    close: async () => {
      await registry.close();
      connection.closeSync();
      instance.closeSync();
    },
  };
}

const registries: [
  string,
  () => Promise<{
    registry: TurbineRegistry;
    reopen: () => Promise<TurbineRegistry>;
    close: () => Promise<void>;
  }>,
][] = [
  [
    "memory",
    async () => {
      const registry = new MemoryRegistry();
      return { registry, reopen: async () => registry, close: async () => undefined };
    },
  ],
  [
    "duckdb",
    async () => {
      const file = join(dir, `registry-${Math.random()}.duckdb`);
      let open = await duckdb(file);
      return {
        registry: open.registry,
        reopen: async () => {
          await open.close();
          open = await duckdb(file);
          return open.registry;
        },
        close: () => open.close(),
      };
    },
  ],
  [
    "dynamodb",
    async () => {
      wire.items.clear();
      const fresh = () =>
        new DynamoDbRegistry({ client: wire.client(), table: wire.table, cacheMs: 0 });
      return { registry: fresh(), reopen: async () => fresh(), close: async () => undefined };
    },
  ],
];

describe.each(registries)("the %s registry", (_kind, open) => {
  it("keeps a deleted turbine's generation, continues it on a new registration, never goes back", async () => {
    const { registry, reopen, close } = await open();
    try {
      expect(await registry.keyGeneration("t-1")).toBe(1);
      await registry.put("t-1", description);
      await registry.rotateKey("t-1");
      await registry.rotateKey("t-1");
      expect(await registry.keyGeneration("t-1")).toBe(3);
      expect(await registry.delete("t-1")).toBe(true);
      expect(await registry.delete("t-1")).toBe(false);
      const again = await reopen();
      expect(await again.get("t-1")).toBeNull();
      expect(await again.list()).toEqual([]);
      expect(await again.keyGeneration("t-1")).toBe(3);
      expect(await again.rotateKey("t-1")).toBeNull();
      const { turbine, outcome } = await again.put("t-1", description);
      expect(outcome).toBe("created");
      expect(turbine.key_generation).toBe(3);
      expect((await again.putMany([{ turbine_id: "t-1", description }]))[0]?.outcome).toBe(
        "unchanged",
      );
      expect((await again.rotateKey("t-1"))?.key_generation).toBe(4);
      // A bulk import over a tombstone continues from it too.
      await again.delete("t-1");
      const [imported] = await again.putMany([{ turbine_id: "t-1", description }]);
      expect(imported?.turbine.key_generation).toBe(4);
    } finally {
      await close();
    }
  });

  it("rotates the operator and reader keys' generations and keeps them", async () => {
    const { registry, reopen, close } = await open();
    try {
      expect(await registry.roleKeyGeneration("operator")).toBe(1);
      expect(await registry.rotateRoleKey("reader")).toBe(2);
      expect(await registry.rotateRoleKey("reader")).toBe(3);
      const again = await reopen();
      expect(await again.roleKeyGeneration("reader")).toBe(3);
      expect(await again.roleKeyGeneration("operator")).toBe(1);
      expect(await again.list()).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe("deleting a registration does not revive revoked keys (HTTP, DuckDB)", () => {
  it("the generation-1 key stays refused after DELETE and after a fresh PUT", async () => {
    const server = await startTestServer();
    try {
      const gen1 = turbineKey(TEST_SECRET, "del-1", 1);
      const gen2 = turbineKey(TEST_SECRET, "del-1", 2);
      expect((await call(server, "PUT", "/v1/turbines/del-1", { body: NOP_3 })).status).toBe(201);
      const rotated = await call(server, "POST", "/v1/turbines/del-1/keys/rotate");
      expect(rotated.body.key).toBe(gen2);
      expect((await server.post(reading("del-1", 1), { key: gen1 })).status).toBe(401);
      expect((await call(server, "DELETE", "/v1/turbines/del-1")).status).toBe(204);
      const afterDelete = await server.post(reading("del-1", 2), { key: gen1 });
      expect(afterDelete.status).toBe(401);
      expect(afterDelete.body.detail).toContain("the current one is 2");
      expect((await server.post(reading("del-1", 3), { key: gen2 })).status).toBe(200);
      const again = await call(server, "PUT", "/v1/turbines/del-1", { body: NOP_3 });
      expect(again.status).toBe(201);
      expect(again.body.key_generation).toBe(2);
      expect((await server.post(reading("del-1", 4), { key: gen1 })).status).toBe(401);
      const generations = await call(server, "GET", "/v1/keys/generations?turbine_id=del-1");
      expect(generations.body).toEqual({
        operator: 1,
        reader: 1,
        turbine: { turbine_id: "del-1", key_generation: 2 },
      });
    } finally {
      await server.stop();
    }
  });
});

describe("rotating the operator and reader keys (HTTP, DuckDB)", () => {
  it("revokes the older key at once, also after a restart", async () => {
    const server = await startTestServer();
    const dataDir = server.dataDir;
    try {
      const reader1 = roleKey(TEST_SECRET, "reader");
      const asReader = await call(server, "POST", "/v1/keys/reader/rotate", { key: reader1 });
      expect(asReader.status).toBe(403);
      expect(asReader.contentType).toBe("application/problem+json");
      const rotated = await call(server, "POST", "/v1/keys/reader/rotate");
      expect(rotated.body).toEqual({
        role: "reader",
        key_generation: 2,
        key: roleKey(TEST_SECRET, "reader", 2),
      });
      const refused = await call(server, "GET", "/v1/turbines", { key: reader1 });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ current_key_generation: 2 });
      expect(refused.body.detail).toContain("(reader) was revoked by a key rotation");
      expect((await call(server, "GET", "/v1/turbines", { key: rotated.body.key })).status).toBe(
        200,
      );
      const operator = await call(server, "POST", "/v1/keys/operator/rotate");
      expect(operator.body.key_generation).toBe(2);
      expect((await call(server, "GET", "/v1/turbines")).status).toBe(401);
      expect((await call(server, "GET", "/v1/turbines", { key: operator.body.key })).status).toBe(
        200,
      );
      expect(
        (await call(server, "POST", "/v1/keys/admin/rotate", { key: operator.body.key })).status,
      ).toBe(422);
      await server.close();
      const again = await startTestServer({ dataDir });
      try {
        expect((await call(again, "GET", "/v1/turbines", { key: reader1 })).status).toBe(401);
        expect((await call(again, "GET", "/v1/turbines", { key: operator.body.key })).status).toBe(
          200,
        );
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("rotating role keys on Lambda (the DynamoDB registry)", () => {
  it("revokes at once in the container that rotated, in others within the cache's lifetime", async () => {
    wire.items.clear();
    const app = (cacheMs: number) =>
      createApp({
        store: undefined as never,
        keySecret: async () => TEST_SECRET,
        registry: new DynamoDbRegistry({ client: wire.client(), table: wire.table, cacheMs }),
      });
    const rotating = app(30_000);
    const cached = app(30_000);
    const fresh = app(0);
    const get = (target: typeof rotating, key: string) =>
      target.request("/v1/keys/generations", { headers: { authorization: `Bearer ${key}` } });
    const operator1 = roleKey(TEST_SECRET, "operator");
    expect((await get(cached, operator1)).status).toBe(200); // cached: generation 1
    const answer = await rotating.request("/v1/keys/operator/rotate", {
      method: "POST",
      headers: { authorization: `Bearer ${operator1}` },
    });
    const { key } = (await answer.json()) as { key: string };
    expect(wire.items.get("#role:operator")).toEqual({
      turbine_id: { S: "#role:operator" },
      key_generation: { N: "2" },
    });
    expect((await get(rotating, operator1)).status).toBe(401);
    expect((await get(fresh, operator1)).status).toBe(401);
    expect((await get(fresh, key)).status).toBe(200);
    // Another container still holds generation 1 until its cache expires (REGISTRY_CACHE_SECONDS).
    expect((await get(cached, operator1)).status).toBe(200);
  });
});

describe("a DuckDB file of the release before tombstones", () => {
  // The previous release's registry table, verbatim, with a turbine rotated once.
  const PREVIOUS_RELEASE = `
    CREATE TABLE turbines (
      turbine_id VARCHAR PRIMARY KEY, name VARCHAR, project VARCHAR, model VARCHAR,
      rated_kw DOUBLE NOT NULL, hub_height_m DOUBLE, rotor_diameter_m DOUBLE, latitude DOUBLE,
      longitude DOUBLE, commissioned DATE, tags JSON NOT NULL, etag VARCHAR NOT NULL,
      updated_at BIGINT NOT NULL, key_generation INTEGER NOT NULL);
    INSERT INTO turbines VALUES ('old-1', NULL, 'Park', NULL, 2000, NULL, NULL, NULL, NULL, NULL,
      '{"province":"Flevoland"}', 'etag-old-1', 1700000000000, 2);`;

  it("opens, keeps its generations, and gains tombstones and role generations", async () => {
    const file = join(dir, "previous-release.duckdb");
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    await connection.run(PREVIOUS_RELEASE);
    connection.closeSync();
    instance.closeSync();

    let open = await duckdb(file);
    try {
      expect(await open.registry.get("old-1")).toMatchObject({ key_generation: 2, rated_kw: 2000 });
      expect(await open.registry.roleKeyGeneration("operator")).toBe(1);
      expect(await open.registry.delete("old-1")).toBe(true);
      await open.close();
      open = await duckdb(file);
      expect(await open.registry.keyGeneration("old-1")).toBe(2);
      expect((await open.registry.put("old-1", description)).turbine.key_generation).toBe(2);
    } finally {
      await open.close();
    }
  });
});
