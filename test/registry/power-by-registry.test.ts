// GET /v1/power groups by what the registry says now: re-describing a turbine regroups its
// stored readings without re-sending them (the readings carry no metadata).
import { describe, expect, it } from "vitest";
import { at, serverWithFixture } from "../analysis/fixture.ts";
import { call } from "./client.ts";

const fixtureServer = serverWithFixture();
const iso = (ms: number) => new Date(ms).toISOString();

describe("GET /v1/power through the registry", () => {
  it("groups by province and model from the registry, and follows its changes", async () => {
    const range = `from=${iso(at("10:00"))}&to=${iso(at("11:00"))}&every=1h`;
    const byModel = await fixtureServer().get(`/v1/power?${range}&by=model`);
    expect(byModel.body.bins.map((b: any) => [b.group, b.turbines])).toEqual([
      ["E-82", 1],
      ["V90", 1],
    ]);
    const before = await fixtureServer().get(`/v1/power?${range}&by=province`);
    expect(before.body.bins.map((b: any) => b.group)).toEqual(["Flevoland", "Groningen"]);

    const moved = await call(fixtureServer(), "PUT", "/v1/turbines/B", {
      body: { project: "Wad", rated_kw: 2000, tags: { province: "Flevoland" } },
    });
    expect(moved.status).toBe(200);
    const after = await fixtureServer().get(`/v1/power?${range}&by=province`);
    expect(after.body.bins).toEqual([
      {
        time: iso(at("10:00")),
        group: "Flevoland",
        power_kw: 1133.333,
        energy_kwh: 1133.333,
        turbines: 2,
      },
    ]);
    // Removed from the registry: its readings count in no province.
    await call(fixtureServer(), "DELETE", "/v1/turbines/B");
    const removed = await fixtureServer().get(`/v1/power?${range}&by=province`);
    expect(removed.body.bins.map((b: any) => [b.group, b.turbines])).toEqual([
      ["Flevoland", 1],
      [null, 1],
    ]);
  });
});
