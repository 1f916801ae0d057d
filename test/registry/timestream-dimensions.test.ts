// The Timestream store writes a registered turbine's description as the record's dimensions
// (CommonAttributes), through the real SDK to the fake Timestream on the wire.
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
});
