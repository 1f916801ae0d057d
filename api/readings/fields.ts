// The fields of a reading: one list, which the contract, the measure-name rules, the stores and
// the export all read.

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
