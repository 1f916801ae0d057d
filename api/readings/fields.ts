// The fields of a reading and the ranges of its two physical ones: one place, which the contract,
// the measure rules (a channel's statistics share its range), the stores and the export all read.

/** The columns every store keeps for every reading, measures aside. */
export const READING_COLUMNS = [
  "turbine_id",
  "time",
  "power_kw",
  "wind_speed_ms",
  "status",
  "status_code",
  "version",
] as const;

/** Every field name a reading body knows: the columns, its measures, and the retired tags. */
export const READING_FIELDS = [...READING_COLUMNS, "measures", "tags"] as const;

/**
 * Physically sensible ranges: the largest turbines built are rated about 26 MW, so 100 MW either
 * way is a unit mistake (W for kW) or garbage, never a reading; the strongest gust ever measured
 * is 113 m/s, and no anemometer on a turbine reads beyond 100.
 */
export const POWER_KW_RANGE = { min: -100_000, max: 100_000 } as const;
export const WIND_SPEED_MS_RANGE = { min: 0, max: 100 } as const;
