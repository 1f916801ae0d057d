// The ingest fast path may only accept what the zod schema accepts, with the same result.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plainValidReadings } from "../../api/readings/fast-validation.ts";
import { ReadingBatchSchema, ReadingSchema } from "../../api/readings/schema.ts";

const timeArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .date({
        min: new Date("2020-01-01T00:00:00Z"),
        max: new Date("2030-01-01T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
  },
  { weight: 6, arbitrary: fc.integer({ min: 946_684_800_000, max: 2_000_000_000_000 }) },
  fc.integer({ min: 900_000_000_000, max: 2_000_000_000_000 }),
  fc.double({ min: 946_684_800_000, max: 946_684_800_001 }),
  fc
    .date({
      min: new Date("1999-12-31T00:00:00Z"),
      max: new Date("2100-01-01T00:00:00Z"),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc
    .tuple(
      fc.integer({ min: 1990, max: 2100 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.constantFrom("", ".5", ".123456789", ".1234567890"),
    )
    .map(
      ([y, mo, d, h, s, frac]) =>
        `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}T${String(h).padStart(2, "0")}:00:${String(s).padStart(2, "0")}${frac}Z`,
    ),
  fc.constantFrom(
    "2026-11-23T10:00:00+01:00",
    "2026-11-23t10:00:00z",
    "2026-11-23 10:00:00Z",
    "2026-11-23T10:00Z",
    "",
  ),
  fc.anything(),
);

// Mostly valid values, so that both sides of the fast path are reached; sometimes anything.
const mostly = <T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: other });

const readingArb = fc
  .record(
    {
      turbine_id: mostly(
        fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
        fc.oneof(fc.string({ maxLength: 70 }), fc.anything()),
      ),
      time: timeArb,
      power_kw: mostly(
        fc.double({ min: -100_000, max: 100_000, noNaN: true }),
        fc.oneof(
          fc.double(),
          fc.constantFrom(-100_000.5, 100_000.5, Number.MAX_VALUE),
          fc.anything(),
        ),
      ),
      wind_speed_ms: mostly(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.oneof(fc.double({ min: -1, max: 101 }), fc.anything()),
      ),
      status: mostly(
        fc.constantFrom("producing", "idle", "curtailed", "fault", "maintenance"),
        fc.oneof(fc.constantFrom("off", undefined, null), fc.anything()),
      ),
      version: mostly(
        fc.integer({ min: 1, max: 5 }),
        fc.oneof(
          fc.integer({ min: -2, max: 0 }),
          fc.double(),
          fc.constant(Number.MAX_SAFE_INTEGER + 2),
          fc.anything(),
        ),
      ),
      status_code: mostly(
        fc.integer({ min: -5, max: 70_000 }),
        fc.oneof(
          fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 31 - 1, 1.5, "3", null),
          fc.anything(),
        ),
      ),
      measures: mostly(
        fc.dictionary(
          mostly(
            fc.oneof(
              fc.constantFrom(
                "rotor_speed_rpm",
                "pitch_angle_deg",
                "ambient_temperature_c",
                "energy_counter_kwh",
                "power_kw_std",
                "wind_speed_ms_max",
                "yaw_error_deg_min",
                "constructor_min",
              ),
              fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/),
            ),
            fc.constantFrom("power_kw", "status", "ts_x", "Rpm", "1a", "", "__proto__", "project"),
          ),
          mostly(
            fc.oneof(fc.double({ min: 0, max: 50, noNaN: true }), fc.integer({ min: 0, max: 50 })),
            fc.oneof(
              fc.constantFrom(1.7e308, 1e10, -1e10, -400, 400, Number.NaN, "5", null),
              fc.double(),
              fc.anything(),
            ),
          ),
          { maxKeys: 4 },
        ),
        fc.oneof(
          // Around the count limit (64) and the names' byte budget (1024).
          fc
            .integer({ min: 60, max: 66 })
            .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}`, i]))),
          fc
            .integer({ min: 10, max: 14 })
            .map((n) =>
              Object.fromEntries(
                Array.from({ length: n }, (_, i) => [`${"x".repeat(70)}${i}`.slice(-60), i]),
              ),
            ),
          fc.anything(),
        ),
      ),
      tags: fc.oneof(
        { weight: 12, arbitrary: fc.constant(undefined) },
        fc.dictionary(
          mostly(
            fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,3}$/),
            fc.constantFrom("status", "ts_x", "1a", "", "__proto__"),
          ),
          mostly(
            fc.string({ minLength: 1, maxLength: 3 }),
            fc.constantFrom("", 5, null, "\ud800", "a\udc00b"),
          ),
          { maxKeys: 18 },
        ),
        fc.anything(),
      ),
      extra: fc.anything(),
    },
    { requiredKeys: ["turbine_id", "power_kw", "wind_speed_ms"] },
  )
  .map(({ extra, ...reading }) => (extra === undefined ? reading : { ...reading, extra }));

describe("the fast validation path", () => {
  it("accepts only readings the schema accepts, with identical output", () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(readingArb, { maxLength: 3 }), (readings) => {
        const body = readings.length === 1 ? readings[0] : { readings };
        const fast = plainValidReadings(body, 1000);
        if (fast === null) return;
        accepted++;
        const schema = readings.length === 1 ? ReadingSchema : ReadingBatchSchema;
        const parsed = schema.safeParse(body);
        expect(parsed.success).toBe(true);
        const zodReadings =
          readings.length === 1 ? [parsed.data] : (parsed.data as { readings: unknown[] }).readings;
        expect(fast).toEqual(zodReadings);
      }),
      { numRuns: 20_000, seed: 7 },
    );
    // The generators must reach the accepting side often enough for the property to mean much.
    expect(accepted).toBeGreaterThan(200);
  });

  it("checks each measure by its own name when readings name them in other orders", () => {
    // The rules of the last reading's names are reused by position (api/readings/measures.ts):
    // a name at a position another name held must still get its own rule.
    const reading = (measures: Record<string, unknown>) => ({
      turbine_id: "nl-0042",
      power_kw: 1830.5,
      wind_speed_ms: 9.4,
      measures,
    });
    const batch = (...all: Record<string, unknown>[]) => ({ readings: all.map(reading) });
    const usual = { rotor_speed_rpm: 14.2, pitch_angle_deg: -2 };
    expect(plainValidReadings(batch(usual, usual), 1000)).toHaveLength(2);
    // pitch_angle_deg may be -2, rotor_speed_rpm may not: same values, names swapped.
    expect(
      plainValidReadings(batch(usual, { pitch_angle_deg: 14.2, rotor_speed_rpm: -2 }), 1000),
    ).toBeNull();
    expect(
      plainValidReadings(batch(usual, { rotor_speed_rpm: 14.2, power_kw: 1 }), 1000),
    ).toBeNull();
    expect(plainValidReadings(batch(usual, { rotor_speed_rpm: 14.2 }, usual), 1000)).toHaveLength(
      3,
    );
  });

  it("takes the common readings, so that it is a fast path at all", () => {
    const reading = {
      turbine_id: "nl-0042",
      time: "2026-11-23T10:00:00.000Z",
      power_kw: 1830.5,
      wind_speed_ms: 9.4,
      status: "producing",
      status_code: 2,
      version: 2,
      measures: { rotor_speed_rpm: 14.2, power_kw_max: 1995.5, custom_channel: -3 },
    };
    expect(plainValidReadings(reading, 1000)).toEqual([reading]);
    expect(
      plainValidReadings({ readings: [reading, { ...reading, time: 1_795_000_000_000 }] }, 1000),
    ).toHaveLength(2);
    expect(plainValidReadings({ readings: [reading, reading] }, 1)).toBeNull();
  });
});
