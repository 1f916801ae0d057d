// One turbine cannot use up the fleet's measure names (issue 32, item 4): each brings at most
// MAX_NEW_MEASURES_PER_TURBINE new names, and names of readings the store refused, or of writes
// that failed, go back to the budget (docs/adr on measure names per turbine).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_NEW_MEASURES_PER_TURBINE } from "../../api/readings/measures.ts";
import { MeasureNameBudget } from "../../api/store/measure-names.ts";
import { MeasureLimitError, type Reading } from "../../api/store/port.ts";
import { reading, startTestServer, type TestServer } from "./fixture.ts";

const names = (prefix: string, n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 1]));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe("one turbine's share of the measure names", () => {
  it(`is ${MAX_NEW_MEASURES_PER_TURBINE} new names; other turbines still bring theirs`, async () => {
    const first = await server.post(reading("greedy", 5, { measures: names("g", 64) }));
    expect(first.body.accepted).toBe(1);
    // One name at a time, as the attack went: the 65th is refused, whole, with a 422.
    const more = await server.post(reading("greedy", 4, { measures: { g0: 1, another: 2 } }));
    expect(more.status).toBe(422);
    expect(more.contentType).toBe("application/problem+json");
    expect(more.body.detail).toContain(
      'turbine "greedy" may bring at most 64 measure names of its own to this store and has brought 64',
    );
    expect(await server.stored("greedy")).toHaveLength(1);
    // Names it already brought, or others brought, it may still send.
    const shared = await server.post(reading("honest", 5, { measures: { rotor_speed_rpm: 14 } }));
    expect(shared.body.accepted).toBe(1);
    expect(
      (await server.post(reading("greedy", 3, { measures: { g1: 1, rotor_speed_rpm: 2 } }))).body
        .accepted,
    ).toBe(1);
    expect(
      (await server.post(reading("honest", 4, { measures: { pitch_angle_deg: 1 } }))).status,
    ).toBe(200);
  });

  it("is not used by readings the store refused", async () => {
    const original = reading("conflicted", 5, { version: 2 });
    expect((await server.post(original)).body.accepted).toBe(1);
    // The same reading at a lower version is a conflict: not stored, so its names are not kept.
    for (let round = 0; round < 3; round++) {
      const refused = await server.post({
        ...original,
        version: 1,
        measures: names(`r${round}_`, 64),
      });
      expect(refused.status).toBe(200);
      expect(refused.body.accepted).toBe(0);
      expect(refused.body.rejected).toHaveLength(1);
    }
    const columns = await server.store.measureColumns();
    expect([...columns].some((name) => name.startsWith("r0_"))).toBe(false);
    // The turbine's share is whole: 64 new names go in.
    const later = await server.post(reading("conflicted", 4, { measures: names("ok", 64) }));
    expect(later.body.accepted).toBe(1);
  });
});

describe("the budget's accounting", () => {
  const r = (turbine_id: string, measures: Record<string, number>) =>
    ({ ...reading(turbine_id, 1), measures }) as unknown as Reading;

  it("counts writes in flight together and gives back what failed writes held", () => {
    const budget = new MeasureNameBudget(["known"], 6, 2);
    const a = budget.reserve([r("t1", { known: 1, x: 1, y: 1 })]);
    expect(budget.size).toBe(3);
    expect(() => budget.reserve([r("t1", { z: 1 })])).toThrow(MeasureLimitError); // t1's share
    const b = budget.reserve([r("t2", { x: 1, w: 1 })]);
    expect(budget.size).toBe(4);
    expect(() => budget.reserve([r("t3", { u: 1, v: 1, s: 1 })])).toThrow(/at most 6 distinct/);
    a.settle(null); // the write failed: x stays reserved by b, y goes back
    expect(budget.size).toBe(3);
    b.settle(["accepted"]);
    expect(budget.size).toBe(3); // known, x, w
    // y went back to t1's share; x, which t1 brought first and t2's reading kept, did not.
    expect(() => budget.reserve([r("t1", { p: 1, q: 1 })])).toThrow(/may bring at most 2/);
    budget.reserve([r("t1", { p: 1 })]).settle(["conflict"]);
    expect(budget.size).toBe(3);
  });
});
