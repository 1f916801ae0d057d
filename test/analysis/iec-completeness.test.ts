// IEC 61400-12-1 as written, on data worked out by hand: the database completeness check of a
// curve, and the density normalisation by control type (pitch: the wind; stall: the power).
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { curveCompleteness } from "../../api/analyses/iec-completeness.ts";
import { powerCurveAnalysis } from "../../api/analyses/run.ts";
import type { TurbineFacts } from "../../api/analyses/scan.ts";
import { duckDbSource } from "../support/scada-duckdb.ts";

// Bins 6-24 (3-12 m/s), per unit rising to 0.85 at bin 20 (10 m/s): the range every bin must
// fill runs from the first bin (6) to 1.5 x 10 = 15 m/s (bin 30).
const curve = (hours: (bin: number) => number, last = 24) =>
  Array.from({ length: last - 5 }, (_, i) => {
    const bin = i + 6;
    return { bin, hours: hours(bin), perUnit: Math.min(1, (bin - 5) * (0.85 / 15)) };
  });

describe("the database completeness check", () => {
  it("counts the bins of the range under 30 minutes and the 180 hours", () => {
    // One hour in each of bins 6-24: bins 25-30 missing (6), 19 h in all: not met.
    expect(
      curveCompleteness(
        curve(() => 1),
        0.5,
      ),
    ).toEqual({
      curve_hours: 19,
      curve_bins_missing: 6,
      iec_complete: false,
    });
    // 8 h in each of bins 6-30 (25 bins, 200 h), bin 12 with 20 minutes: 1 missing.
    expect(
      curveCompleteness(
        curve((b) => (b === 12 ? 1 / 3 : 8), 30),
        0.5,
      ),
    ).toMatchObject({
      curve_bins_missing: 1,
      iec_complete: false,
    });
    // The same with bin 12 full: met.
    expect(
      curveCompleteness(
        curve(() => 8, 30),
        0.5,
      ),
    ).toEqual({
      curve_hours: 200,
      curve_bins_missing: 0,
      iec_complete: true,
    });
  });

  it("cannot say the range of a curve that never reaches 85% of rated power", () => {
    const low = [{ bin: 10, hours: 500, perUnit: 0.5 }];
    expect(curveCompleteness(low, 0.5)).toEqual({
      curve_hours: 500,
      curve_bins_missing: null,
      iec_complete: false,
    });
  });
});

describe("density normalisation by control type", () => {
  it("normalises a pitch turbine's wind and a stall turbine's power", async () => {
    // rho = 1.1 x 1.225 at 5 °C: pitch wind 8.0 x 1.1^(1/3) = 8.2583 (bin 17, centre 8.5);
    // stall keeps 8.0 (bin 16) and its 1100 kW become 1100 / 1.1 = 1000 kW.
    const pressure = (1.1 * 1.225 * 287.05 * 278.15) / 100;
    const instance = await DuckDBInstance.create(":memory:");
    try {
      const connection = await instance.connect();
      await connection.run(`CREATE TABLE readings (turbine_id VARCHAR, time TIMESTAMP,
        power_kw DOUBLE, wind_speed_ms DOUBLE, status VARCHAR, status_code INTEGER,
        version BIGINT, ambient_temperature_c DOUBLE, ambient_pressure_hpa DOUBLE)`);
      const t0 = Date.UTC(2026, 0, 1);
      const values = ["P", "S"]
        .flatMap((id) =>
          [0, 1, 2].map(
            (i) =>
              `('${id}', epoch_ms(${t0 + i * 600_000}), 1100, 8.0, 'producing', NULL, 1, 5, ${pressure})`,
          ),
        )
        .join(", ");
      await connection.run(`INSERT INTO readings VALUES ${values}`);
      const registry: TurbineFacts[] = [
        { turbine_id: "P", project: null, model: "M", rated_kw: 2000, tags: {} },
        { turbine_id: "S", project: null, model: "N", rated_kw: 2000, tags: { control: "stall" } },
      ];
      const rows = await powerCurveAnalysis(duckDbSource(connection), registry, {
        from: t0,
        to: t0 + 1_800_000,
      });
      const p = rows.find((r) => r.turbine_id === "P");
      const s = rows.find((r) => r.turbine_id === "S");
      expect(p?.bin_ms).toBe(8.5);
      expect(p?.wind_ms).toBeCloseTo(8.2583, 3);
      expect(p?.power_kw).toBe(1100);
      expect(s).toMatchObject({ bin_ms: 8, wind_ms: 8, power_kw: 1000 });
    } finally {
      instance.closeSync();
    }
  });
});
