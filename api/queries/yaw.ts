// The readings static yaw misalignment needs (api/analyses/yaw.ts): producing readings with a
// vane angle (`yaw_error_deg`), per turbine, 1 m/s bin of normalised wind (centred on whole m/s,
// as OpenOA's) and 1° bin of vane
// angle: the readings, the vane angle and a power coefficient proxy summed. The proxy is power
// over the cube of the wind (OpenOA's power-coefficient option): below rated it takes out the
// wind's spread within a bin, which otherwise swamps the few percent the vane angle costs.
// SQL stores only (DuckDB, Timestream).
import { type ScadaRange, sqlNormalisedPower, sqlNormalisedWind } from "./scada.ts";
import { type QueryTarget, sqlTimeRange } from "./sql.ts";

export const VANE_MEASURE = "yaw_error_deg";
/** Vane angles beyond this are a yawing turbine catching up, not a steady offset: left out. */
export const MAX_VANE_DEG = 45;
/** The wind range worth reading (m/s): below cut-in and above rated the vane costs nothing. */
const WIND_RANGE_MS = [3, 15] as const;

export function renderYawBinsQuery(
  target: QueryTarget,
  range: ScadaRange,
  measureColumns: ReadonlySet<string>,
  stall: readonly string[] = [],
): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") throw new RangeError("yaw bins: SQL stores only");
  const bin = "CAST(round(v_n) AS BIGINT)";
  return [
    `SELECT turbine_id, ${bin} AS bin, CAST(round(vane) AS BIGINT) AS vane_bin,`,
    "  count(*) AS n, sum(vane) AS vane_sum, sum(p_n) AS power_sum,",
    "  sum(p_n / (v_n * v_n * v_n)) AS cp_sum",
    "FROM (",
    `  SELECT turbine_id, ${VANE_MEASURE} AS vane,`,
    `    ${sqlNormalisedPower(measureColumns, stall)} AS p_n,`,
    `    ${sqlNormalisedWind(measureColumns, stall)} AS v_n`,
    `  FROM ${tableRef}`,
    `  WHERE ${sqlTimeRange(dialect, range.from, range.to)} AND status = 'producing'`,
    `    AND ${VANE_MEASURE} IS NOT NULL AND abs(${VANE_MEASURE}) <= ${MAX_VANE_DEG}`,
    ") AS r",
    `WHERE v_n >= ${WIND_RANGE_MS[0]} AND v_n < ${WIND_RANGE_MS[1]}`,
    `GROUP BY turbine_id, ${bin}, CAST(round(vane) AS BIGINT)`,
  ].join("\n");
}
