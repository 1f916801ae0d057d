// Thousands of random and hostile bodies: every answer is a 2xx or a 4xx problem document, and
// what is stored is exactly what was acknowledged as accepted.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const NOW = Date.now();
const TURBINES = ["fz-a", "fz-b", "fz-c"];

// Mostly plausible readings with a small identity space, so duplicates, conflicts and version
// replacements happen often; each field is sometimes replaced by something hostile.
// Nested arrays and objects, deeper than any batch nests, and repeated wide ones.
const deep = (depth: number, inner: unknown): unknown =>
  depth === 0 ? inner : depth % 2 ? [deep(depth - 1, inner)] : { a: deep(depth - 1, inner) };
const hostile = fc.oneof(
  fc.constant(null),
  fc.constant(Number.MAX_VALUE),
  fc.constantFrom(-Number.MAX_VALUE, 1e300, -1e21, 2 ** 53 + 1, 100_000.5, 5e-324),
  // Lone surrogates, alone and inside text, and formula prefixes a spreadsheet would run.
  fc.constantFrom(
    "\ud800",
    "a\udc00",
    "\udbff\udbff",
    "x\ud83d",
    "=1+2",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "\rx",
  ),
  fc.integer({ min: 1, max: 40 }).map((depth) => deep(depth, "\ud800")),
  fc.integer({ min: 2, max: 300 }).map((n) => Array.from({ length: n }, () => ({ k: "v" }))),
  fc
    .integer({ min: 2, max: 300 })
    .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "=x"]))),
  fc.constant(-0),
  fc.constant("__proto__"),
  fc.constant({ constructor: { prototype: { polluted: true } } }),
  fc.string({ maxLength: 80 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 15, arbitrary: arb }, { weight: 1, arbitrary: hostile });

const readingArb = fc.record(
  {
    turbine_id: maybe(fc.constantFrom(...TURBINES)),
    time: maybe(
      fc.oneof(
        fc.integer({ min: 0, max: 8 }).map((m) => NOW - m * 60_000),
        fc.integer({ min: 0, max: 8 }).map((m) => new Date(NOW - m * 60_000).toISOString()),
        fc.constantFrom(NOW + 3_600_000, NOW - 30 * 86_400_000),
      ),
    ),
    power_kw: maybe(fc.constantFrom(0, 850.5, 2000, -12)),
    wind_speed_ms: maybe(fc.constantFrom(0, 7.25, 13)),
    status: maybe(fc.constantFrom("producing", "idle", "fault")),
    version: maybe(fc.constantFrom(1, 2, 3)),
    status_code: maybe(fc.constantFrom(0, 1042)),
    measures: maybe(
      fc.dictionary(
        fc.oneof(
          {
            weight: 15,
            arbitrary: fc.constantFrom(
              "rotor_speed_rpm",
              "pitch_angle_deg",
              "power_kw_std",
              "oil_bar",
            ),
          },
          { weight: 1, arbitrary: fc.constantFrom("x\ud800", "=f") },
        ),
        fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(0, 1.5, 12) },
          { weight: 1, arbitrary: hostile },
        ),
        { maxKeys: 3 },
      ),
    ),
    // Tags left the contract: a body carrying them is a 422 (rarely sent here).
    tags: fc.oneof(
      { weight: 20, arbitrary: fc.constant(undefined) },
      fc.dictionary(
        fc.oneof(
          { weight: 15, arbitrary: fc.constantFrom("project", "province", "model") },
          { weight: 1, arbitrary: fc.constantFrom("x\ud800", "=f") },
        ),
        fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom("A", "B", "=HYPERLINK(1)", "-A") },
          { weight: 1, arbitrary: hostile },
        ),
        { maxKeys: 3 },
      ),
    ),
  },
  // time is always sent: without it the server picks the time, which this model cannot know.
  { requiredKeys: ["turbine_id", "time", "power_kw", "wind_speed_ms"] },
);

const bodyArb = fc.oneof(
  { weight: 4, arbitrary: readingArb.map((r) => JSON.stringify(r)) },
  {
    weight: 4,
    arbitrary: fc
      .array(readingArb, { minLength: 1, maxLength: 12 })
      .map((readings) => JSON.stringify({ readings })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(readingArb, { maxLength: 4 })
      .map((readings) => JSON.stringify({ readings }).slice(0, -3)),
  },
);

interface Model {
  power_kw: number;
  wind_speed_ms: number;
  status: string | null;
  status_code: number | null;
  version: number;
  measures: Record<string, number>;
  tags: Record<string, string>;
}

function normalized(r: any): Model {
  return {
    power_kw: r.power_kw,
    wind_speed_ms: r.wind_speed_ms,
    status: r.status ?? null,
    status_code: r.status_code ?? null,
    version: r.version ?? 1,
    // Sorted by name: content equality does not depend on the order measures were sent in.
    measures: Object.fromEntries(Object.entries(r.measures ?? {}).sort()) as Record<string, number>,
    tags: r.tags ?? {},
  };
}

it("answers 2xx or 4xx problems to 3000 bodies, and stores exactly the accepted readings", async () => {
  // The model of what must be stored: identity -> the accepted reading's power and version.
  const model = new Map<string, Model>();
  const bodies = fc.sample(bodyArb, { numRuns: 3000, seed: 20261123 });
  let ok = 0;
  for (const raw of bodies) {
    const answer = await server.post(null, { raw });
    if (answer.status === 200) {
      ok++;
      const parsed = JSON.parse(raw);
      const readings: any[] = "readings" in parsed ? parsed.readings : [parsed];
      const rejected = new Set(answer.body.rejected.map((r: { index: number }) => r.index));
      let accepted = 0;
      let duplicates = 0;
      readings.forEach((r, index) => {
        if (rejected.has(index)) return;
        const key = `${r.turbine_id}|${typeof r.time === "number" ? r.time : Date.parse(r.time)}`;
        const known = model.get(key);
        const sent = normalized(r);
        if (known && JSON.stringify(known) === JSON.stringify(sent)) {
          duplicates++;
        } else {
          // Not rejected and not identical: a new identity or a higher version.
          accepted++;
          model.set(key, sent);
        }
      });
      expect({ accepted: answer.body.accepted, duplicates: answer.body.duplicates }).toEqual({
        accepted,
        duplicates,
      });
    } else {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.contentType).toBe("application/problem+json");
      expect(answer.body.status).toBe(answer.status);
    }
  }
  expect(ok).toBeGreaterThan(500);

  const stored = new Map<string, Model>();
  // Hostile strings can be valid turbine ids too ("__proto__"): check every turbine stored.
  const turbines = await server.store.select("SELECT DISTINCT turbine_id FROM readings");
  for (const turbine of turbines.map((row) => String(row.turbine_id))) {
    for (const row of await server.stored(turbine)) {
      const key = `${turbine}|${row.time}`;
      expect(stored.has(key)).toBe(false);
      stored.set(key, normalized(row));
    }
  }
  const show = (m: Map<string, Model>) =>
    [...m.entries()].sort().map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  expect(show(stored)).toEqual(show(model));
  expect(({} as any).polluted).toBeUndefined();
  // The store is healthy afterwards, and still takes and returns a reading.
  expect((await server.get("/healthz")).status).toBe(200);
  const after = { turbine_id: "fz-after", time: NOW, power_kw: 1, wind_speed_ms: 1 };
  expect((await server.post(after)).body.accepted).toBe(1);
  expect(await server.stored("fz-after")).toHaveLength(1);
});
