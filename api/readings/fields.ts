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
 * Physically sensible ranges. A reading may be a whole wind farm's output sent by its gateway
 * (the simulator's default: one reading per project, up to ~500 MW in the Dutch fleet), and the
 * largest farms are rated about 1.5 GW, so 2 GW either way is garbage or a unit mistake (a 2 MW
 * turbine's output in W), never a reading. The strongest gust ever measured is 113 m/s, and no
 * anemometer on a turbine reads beyond 100.
 */
export const POWER_KW_RANGE = { min: -2_000_000, max: 2_000_000 } as const;
export const WIND_SPEED_MS_RANGE = { min: 0, max: 100 } as const;
