// The Timestream store writes a registered turbine's description as the record's dimensions
// (CommonAttributes), through the real SDK to the fake Timestream on the wire.
import { WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { roleKey } from "../../api/auth/keys.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import { TimestreamStore } from "../../api/store/timestream-store.ts";
import { startWireTimestream, type WireTimestream } from "../timestream/wire-timestream.ts";

const SECRET = "dimensions-secret-0123456789";
let wire: WireTimestream;
let store: TimestreamStore;
beforeAll(async () => {
  // The test reads nothing back through queries but DESCRIBE (the schema is updated on write).
  wire = await startWireTimestream();
  store = new TimestreamStore({
    database: "gust",
    table: "readings",
    writeClient: wire.writeClient(),
    queryClient: wire.queryClient(),
    writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 900_000 },
  });
});
afterAll(async () => {
  await store.close();
  await wire.close();
});

describe("Timestream dimensions from the registry", () => {
  it("writes the registered turbine's project, model, rated power, location and tags; only turbine_id otherwise", async () => {
    const registry = new MemoryRegistry();
    await registry.put("nl-1", {
      name: "Eerste",
      project: "Windpark Zeewolde",
      model: "V136",
      rated_kw: 4200,
      hub_height_m: 120,
      rotor_diameter_m: 136,
      latitude: 52.4,
      longitude: 5.5,
      commissioned: null,
      tags: { province: "Flevoland", municipality: "Zeewolde" },
    });
    const app = createApp({ store, registry, keySecret: async () => SECRET });
    const now = Date.now();
    const answer = await app.request("/v1/measurements", {
      method: "POST",
      headers: {
        authorization: `Bearer ${roleKey(SECRET, "operator")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        readings: [
          { turbine_id: "nl-1", time: now - 60_000, power_kw: 1000, wind_speed_ms: 8 },
          { turbine_id: "nl-1", time: now - 120_000, power_kw: 900, wind_speed_ms: 7 },
          { turbine_id: "nl-unregistered", time: now - 60_000, power_kw: 5, wind_speed_ms: 3 },
        ],
      }),
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { accepted: number }).accepted).toBe(3);
    const written = [...wire.records.values()].map((r) => r.dimensions);
    expect(written).toContainEqual({
      turbine_id: "nl-1",
      project: "Windpark Zeewolde",
      model: "V136",
      rated_kw: "4200",
      latitude: "52.4",
      longitude: "5.5",
      municipality: "Zeewolde",
      province: "Flevoland",
    });
    expect(written).toContainEqual({ turbine_id: "nl-unregistered" });
    // Each dimension name comes once: the registry's tags may not repeat a description field.
    expect(Object.keys(written[0] ?? {}).length).toBe(new Set(Object.keys(written[0] ?? {})).size);
    expect(written.filter((d) => d.turbine_id === "nl-1")).toHaveLength(2);
  });

  it("takes every reading of a turbine registered at the limits: no store_rejected, on the wire's own limits", async () => {
    const registry = new MemoryRegistry();
    const app = createApp({ store, registry, keySecret: async () => SECRET });
    const operator = { authorization: `Bearer ${roleKey(SECRET, "operator")}` };
    // turbine_id and rated_kw (24 bytes) and 16 tags of 2 + 54 bytes: 920 of the 921 allowed.
    const tags = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`t${i.toString(16)}`, "v".repeat(54)]),
    );
    const put = await app.request("/v1/turbines/max-1", {
      method: "PUT",
      headers: { ...operator, "content-type": "application/json" },
      body: JSON.stringify({ rated_kw: 1, tags }),
    });
    expect(put.status).toBe(201);
    // The measures' whole share: 16 names of 56 bytes and 8 bytes a value.
    const measures = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`m${i.toString(16)}_${"x".repeat(53)}`, 123456.789]),
    );
    const answer = await app.request("/v1/measurements", {
      method: "POST",
      headers: { ...operator, "content-type": "application/json" },
      body: JSON.stringify({
        turbine_id: "max-1",
        time: Date.now() - 60_000,
        power_kw: 1,
        wind_speed_ms: 1,
        status: "maintenance",
        status_code: -2_147_483_648,
        version: 9,
        measures,
      }),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ accepted: 1, rejected: [] });
    // One byte more of tags is refused at registration, saying which limit.
    const over = await app.request("/v1/turbines/max-1", {
      method: "PUT",
      headers: { ...operator, "content-type": "application/json" },
      body: JSON.stringify({ rated_kw: 1, tags: { ...tags, t0: "v".repeat(56) } }),
    });
    expect(over.status).toBe(422);
    expect(JSON.stringify(await over.json())).toMatch(/at most 921, Timestream's 2 KB record/);
  });

  it("the wire fake refuses as Timestream does: a 129th dimension name in the table, a name both dimension and measure", async () => {
    const write = (dimensions: { Name: string; Value: string }[], measure = "power_kw") =>
      wire.writeClient().send(
        new WriteRecordsCommand({
          DatabaseName: "gust",
          TableName: "readings",
          Records: [
            {
              Dimensions: dimensions,
              MeasureName: "reading",
              MeasureValueType: "MULTI",
              MeasureValues: [{ Name: measure, Value: "1", Type: "DOUBLE" }],
              Time: String(Date.now()),
              TimeUnit: "MILLISECONDS",
            },
          ],
        }),
      );
    const existing = wire.dimensionNames.size;
    for (let i = existing; i < 128; i++) await write([{ Name: `d${i}`, Value: "x" }]);
    expect(wire.dimensionNames.size).toBe(128);
    await expect(write([{ Name: "one_more", Value: "x" }])).rejects.toMatchObject({
      name: "RejectedRecordsException",
      RejectedRecords: [
        { RecordIndex: 0, Reason: expect.stringMatching(/more than 128 dimensions/) },
      ],
    });
    await expect(write([{ Name: "d127", Value: "x" }], "d127")).rejects.toMatchObject({
      RejectedRecords: [{ Reason: expect.stringMatching(/both as a dimension and as a measure/) }],
    });
    const columns = await store.select(`DESCRIBE "gust"."readings"`);
    expect(columns).toContainEqual({
      Column: "d127",
      Type: "varchar",
      "Timestream attribute type": "DIMENSION",
    });
  });
});
