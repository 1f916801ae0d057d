// The wide reading as a Timestream multi-measure record: status_code and every measure are
// values of the one record, typed as Timestream documents them.
import { describe, expect, it } from "vitest";
import { MAX_MEASURES_PER_READING } from "../../api/readings/measures.ts";
import type { Reading } from "../../api/store/port.ts";
import { readingMeasures, recordChunks } from "../../api/store/timestream-records.ts";

const base: Reading = {
  turbine_id: "ts-wide",
  time: 1_795_000_000_000,
  power_kw: 1500,
  wind_speed_ms: 9,
  status: null,
  status_code: null,
  version: 1,
  measures: {},
  tags: {},
};

describe("the multi-measure record of a wide reading", () => {
  it("carries status_code as BIGINT and each measure as DOUBLE, none when absent", () => {
    expect(readingMeasures(base).map((m) => m.Name)).toEqual([
      "power_kw",
      "wind_speed_ms",
      "version",
    ]);
    const wide = readingMeasures({
      ...base,
      status_code: 1042,
      measures: { rotor_speed_rpm: 14.25, power_kw_std: 0 },
    });
    expect(wide).toContainEqual({ Name: "status_code", Value: "1042", Type: "BIGINT" });
    expect(wide).toContainEqual({ Name: "rotor_speed_rpm", Value: "14.25", Type: "DOUBLE" });
    expect(wide).toContainEqual({ Name: "power_kw_std", Value: "0", Type: "DOUBLE" });
  });

  it("stays within Timestream's 256 measures per record at the contract's maximum", () => {
    const measures = Object.fromEntries(
      Array.from({ length: MAX_MEASURES_PER_READING }, (_, i) => [`m${i}`, i]),
    );
    const [chunk] = recordChunks([{ ...base, status: "fault", status_code: 7, measures }], [0]);
    const values = chunk?.records[0]?.MeasureValues ?? [];
    expect(values).toHaveLength(MAX_MEASURES_PER_READING + 5);
    expect(values.length).toBeLessThanOrEqual(256);
    expect(new Set(values.map((v) => v.Name)).size).toBe(values.length);
  });
});
