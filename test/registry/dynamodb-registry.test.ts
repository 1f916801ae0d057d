// The DynamoDB registry through the real SDK against the fake DynamoDB on the wire: items shaped
// as the API documents, conditional writes for If-Match, paging, batches of 100, the
// all-or-nothing fleet import over several transactions, the per-container cache.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { DynamoDbRegistry, ITEMS_PER_TRANSACTION } from "../../api/registry/dynamodb-registry.ts";
import {
  ConcurrentChangeError,
  PreconditionFailedError,
  RegistryUnavailableError,
  type TurbineDescription,
} from "../../api/registry/port.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startWireDynamoDb, type WireDynamoDb } from "./wire-dynamodb.ts";

const wire: WireDynamoDb = await startWireDynamoDb();
afterAll(() => wire.close());
beforeEach(() => {
  wire.items.clear();
  wire.calls.length = 0;
  wire.scanPageSize = 100;
  wire.beforeTransaction = undefined;
  wire.transactions = 0;
});

// The registries' clock: the cache's lifetime is judged on it, and the test moves it.
const clock = new ManualClock(Date.now());
const registry = (cacheMs = 30_000) =>
  new DynamoDbRegistry({ client: wire.client(), table: wire.table, cacheMs, clock });

const description = (
  rated_kw: number,
  extra: Partial<TurbineDescription> = {},
): TurbineDescription => ({
  name: null,
  project: "Windpark Zeewolde",
  model: null,
  rated_kw,
  hub_height_m: null,
  rotor_diameter_m: null,
  latitude: 52.4,
  longitude: null,
  commissioned: "2019-05-01",
  tags: { province: "Flevoland" },
  ...extra,
});

const operations = () => wire.calls.map((c) => c.operation);

describe("DynamoDB registry", () => {
  it("stores one item per turbine as DynamoDB documents it, created conditionally", async () => {
    const r = registry();
    const { turbine, outcome } = await r.put("zw-1", description(4200));
    expect(outcome).toBe("created");
    expect(wire.items.get("zw-1")).toEqual({
      turbine_id: { S: "zw-1" },
      project: { S: "Windpark Zeewolde" },
      commissioned: { S: "2019-05-01" },
      etag: { S: turbine.etag },
      rated_kw: { N: "4200" },
      latitude: { N: "52.4" },
      updated_at: { N: String(turbine.updated_at) },
      key_generation: { N: "1" },
      tags: { M: { province: { S: "Flevoland" } } },
    });
    const put = wire.calls.find((c) => c.operation === "PutItem");
    expect(put?.body).toMatchObject({
      TableName: wire.table,
      ConditionExpression: "attribute_not_exists(turbine_id)",
    });
    // Read back by another container: the same record, nulls restored.
    expect(await registry().get("zw-1")).toEqual(turbine);
  });

  it("replaces on the stored etag, keeps an unchanged description, answers If-Match", async () => {
    const r = registry();
    const first = (await r.put("zw-2", description(4200))).turbine;
    wire.calls.length = 0;
    expect((await r.put("zw-2", description(4200))).outcome).toBe("unchanged");
    expect(operations()).toEqual(["GetItem"]);
    const second = await r.put("zw-2", description(4300), { ifMatch: first.etag });
    expect(second.outcome).toBe("replaced");
    expect(wire.calls.at(-1)?.body).toMatchObject({
      ConditionExpression: "#etag = :etag",
      ExpressionAttributeValues: { ":etag": { S: first.etag } },
    });
    await expect(r.put("zw-2", description(1), { ifMatch: first.etag })).rejects.toThrow(
      PreconditionFailedError,
    );
    await expect(r.put("zw-none", description(1), { ifMatch: "*" })).rejects.toThrow(
      PreconditionFailedError,
    );
    await expect(r.delete("zw-2", { ifMatch: first.etag })).rejects.toMatchObject({
      currentEtag: second.turbine.etag,
    });
    expect(Number(wire.items.get("zw-2")?.rated_kw?.N)).toBe(4300);
    expect(await r.delete("zw-2", { ifMatch: second.turbine.etag })).toBe(true);
    expect(await r.delete("zw-2")).toBe(false);
    // What stays is the tombstone: its key generation, no description.
    expect(wire.items.get("zw-2")).toEqual({
      turbine_id: { S: "zw-2" },
      retired: { BOOL: true },
      key_generation: { N: "1" },
      etag: { S: "retired-1" },
    });
  });

  it("a write that loses a race to another container is redone on what that one wrote", async () => {
    const mine = registry();
    const theirs = registry();
    await mine.put("zw-3", description(1000));
    await mine.get("zw-3");
    await theirs.put("zw-3", description(2000, { model: "V136" }));
    // Without If-Match, last writer wins, but on a fresh read: key generation and all.
    await theirs.rotateKey("zw-3");
    const result = await mine.put("zw-3", description(3000));
    expect(result.turbine.key_generation).toBe(2);
    expect(result.outcome).toBe("replaced");
  });

  it("rotates a key: next generation, new etag, same description", async () => {
    const r = registry();
    const before = (await r.put("zw-4", description(1500))).turbine;
    const after = await r.rotateKey("zw-4");
    expect(after).toMatchObject({
      key_generation: 2,
      rated_kw: 1500,
      project: "Windpark Zeewolde",
    });
    expect(after?.etag).not.toBe(before.etag);
    expect(wire.items.get("zw-4")?.key_generation).toEqual({ N: "2" });
    expect(await r.rotateKey("zw-absent")).toBeNull();
  });

  it("lists every page of the Scan, sorted by turbine_id", async () => {
    wire.scanPageSize = 3;
    const r = registry();
    for (const id of ["c", "a", "e", "b", "d", "g", "f"]) await r.put(id, description(100));
    wire.calls.length = 0;
    const listed = await registry().list();
    expect(listed.map((t) => t.turbine_id)).toEqual(["a", "b", "c", "d", "e", "f", "g"]);
    expect(operations()).toEqual(["Scan", "Scan", "Scan"]);
    expect(wire.calls[1]?.body.ExclusiveStartKey).toEqual({ turbine_id: { S: "e" } });
  });

  it("imports 250 in transactions of 100, batch reads of 100, unprocessed keys asked again", async () => {
    const entries = Array.from({ length: 250 }, (_, i) => ({
      turbine_id: `t-${String(i).padStart(3, "0")}`,
      description: description(1000 + i),
    }));
    wire.unprocessNext = 1;
    // Unprocessed keys are asked again after a backoff on the registry's clock.
    const results = (await clock.runUntil(registry().putMany(entries))) ?? [];
    expect(results.every((r) => r.outcome === "created")).toBe(true);
    expect(wire.items.size).toBe(250);
    const transactions = wire.calls.filter((c) => c.operation === "TransactWriteItems");
    expect(transactions.map((c) => c.body.TransactItems.length)).toEqual([100, 100, 50]);
    expect(transactions[0]?.body.TransactItems[0].Put.ConditionExpression).toBe(
      "attribute_not_exists(turbine_id)",
    );
    const reads = wire.calls.filter((c) => c.operation === "BatchGetItem");
    expect(reads.length).toBe(4); // 100 (half unprocessed, asked again), 100, 50
    expect(Math.max(...reads.map((c) => c.body.RequestItems[wire.table].Keys.length))).toBe(100);
    wire.calls.length = 0;
    const again = await registry().putMany(entries);
    expect(again.every((r) => r.outcome === "unchanged")).toBe(true);
    expect(operations()).not.toContain("TransactWriteItems");
    expect(ITEMS_PER_TRANSACTION).toBe(100);
  });

  it("an import that meets a concurrent change keeps nothing: earlier transactions are undone", async () => {
    const r = registry();
    await r.put("t-150", description(1));
    const before = new Map(wire.items);
    const entries = Array.from({ length: 250 }, (_, i) => ({
      turbine_id: `t-${String(i).padStart(3, "0")}`,
      description: description(2000 + i),
    }));
    // Another writer changes t-150 after the import read it, before its 2nd transaction.
    wire.beforeTransaction = (n) => {
      if (n === 2) {
        const item = wire.items.get("t-150");
        if (item) wire.items.set("t-150", { ...item, etag: { S: "someone-else" } });
      }
    };
    await expect(r.putMany(entries)).rejects.toThrow(ConcurrentChangeError);
    expect([...wire.items.keys()]).toEqual([...before.keys()]);
    expect(wire.items.get("t-150")?.etag).toEqual({ S: "someone-else" });
    // The undo was itself transactions of at most 100, conditional on what the import wrote.
    const undo = wire.calls.filter((c) => c.operation === "TransactWriteItems").slice(2);
    expect(undo.map((c) => c.body.TransactItems.length)).toEqual([100]);
    expect(undo[0]?.body.TransactItems[0].Delete.ConditionExpression).toBe("#etag = :etag");
  });

  it("caches per container for its lifetime, then reads again", async () => {
    const writer = registry();
    const reader = registry(80);
    await writer.put("c-1", description(100));
    expect((await reader.get("c-1"))?.rated_kw).toBe(100);
    await writer.put("c-1", description(200));
    wire.calls.length = 0;
    expect((await reader.get("c-1"))?.rated_kw).toBe(100);
    expect(operations()).toEqual([]);
    await clock.advance(80);
    expect((await reader.get("c-1"))?.rated_kw).toBe(200);
    expect(operations()).toEqual(["GetItem"]);
  });

  it("answers RegistryUnavailableError when DynamoDB fails, and the API a 503", async () => {
    const r = registry();
    wire.failNext = 1;
    await expect(r.get("x-1")).rejects.toThrow(RegistryUnavailableError);
    const app = createApp({
      store: { measureColumns: async () => new Set() } as never,
      registry: r,
      keySecret: async () => "dynamo-secret-0123456789",
    });
    wire.failNext = 1;
    const answer = await app.request("/v1/turbines/x-1", {
      method: "PUT",
      headers: {
        authorization: `Bearer ${roleKey("dynamo-secret-0123456789", "operator")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ rated_kw: 100 }),
    });
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("1");
    const created = await app.request("/v1/turbines/x-1", {
      method: "PUT",
      headers: {
        authorization: `Bearer ${roleKey("dynamo-secret-0123456789", "operator")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ rated_kw: 100 }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe(`"${wire.items.get("x-1")?.etag?.S}"`);
  });
});
