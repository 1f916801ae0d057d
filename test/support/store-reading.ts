// A reading as the store takes it, for the store's own tests: a plain producing reading of
// 100 kW at 7 m/s, version 1, no measures and no tags, with whatever the test sets.
import type { Reading } from "../../api/store/port.ts";

export function storeReading(
  fields: Pick<Reading, "turbine_id" | "time"> & Partial<Reading>,
): Reading {
  return {
    power_kw: 100,
    wind_speed_ms: 7,
    status: "producing",
    version: 1,
    status_code: null,
    measures: {},
    tags: {},
    ...fields,
  };
}
