// The one scan of stored readings the wind analyses (api/analyses) share: per turbine, status
// and 0.5 m/s bin of air-density-normalised wind speed, how many readings, their power and wind
// summed, and the time they stand for and their energy. The same text serves
// DuckDB and Timestream (only the table and the time literals differ); InfluxDB gets InfluxQL
// that fetches the readings, binned in influxql.ts. The registry facts (model, rated power,
// project) join in TypeScript, so no store needs the registry in SQL.
import { renderInfluxScadaBinsQuery } from "./influxql.ts";
import { type QueryTarget, sqlEpochMs, sqlTimeRange } from "./sql.ts";

export const WIND_BIN_MS = 0.5;
export const REFERENCE_AIR_DENSITY = 1.225;
/** R of dry air, J/(kg K). */
const GAS_CONSTANT_DRY_AIR = 287.05;
export const DENSITY_MEASURES = ["ambient_temperature_c", "ambient_pressure_hpa"] as const;

export interface ScadaRange {
  from: number;
  to: number;
}

/** True when the store holds both measures the density normalisation needs. */
export function canNormaliseDensity(measureColumns: ReadonlySet<string>): boolean {
  return DENSITY_MEASURES.every((name) => measureColumns.has(name));
}

/** The density ratio rho / 1.225 of a reading, rho = p / (R T); 1 without both measures. */
function sqlDensityRatio(): string {
  const density = `(ambient_pressure_hpa * 100 / (${GAS_CONSTANT_DRY_AIR} * (ambient_temperature_c + 273.15)))`;
  return `coalesce(${density} / ${REFERENCE_AIR_DENSITY}, 1.0)`;
}

/** A list of turbine ids as SQL (checked: an id is a registry id, quotes doubled anyway). */
function sqlIdList(ids: readonly string[]): string {
  return ids.map((id) => `'${id.replaceAll("'", "''")}'`).join(", ");
}

/**
 * Wind speed normalised to 1.225 kg/m3 as IEC 61400-12-1 does for pitch-regulated turbines:
 * v_n = v (rho / 1.225)^(1/3), rho = p / (R T). Stall-regulated turbines (`stall`) keep their
 * measured wind and have their power normalised instead (sqlNormalisedPower). A reading without
 * temperature or pressure keeps its measured values; a store that never stored them is not asked
 * for them (no such column).
 */
export function sqlNormalisedWind(
  measureColumns: ReadonlySet<string>,
  stall: readonly string[] = [],
): string {
  if (!canNormaliseDensity(measureColumns)) return "wind_speed_ms";
  const pitch = `wind_speed_ms * cbrt(${sqlDensityRatio()})`;
  if (stall.length === 0) return pitch;
  return `CASE WHEN turbine_id IN (${sqlIdList(stall)}) THEN wind_speed_ms ELSE ${pitch} END`;
}

/** Power normalised to 1.225 kg/m3 for stall-regulated turbines: P_n = P 1.225 / rho. */
export function sqlNormalisedPower(
  measureColumns: ReadonlySet<string>,
  stall: readonly string[] = [],
): string {
  if (!canNormaliseDensity(measureColumns) || stall.length === 0) return "power_kw";
  return `CASE WHEN turbine_id IN (${sqlIdList(stall)}) THEN power_kw / ${sqlDensityRatio()} ELSE power_kw END`;
}

/** What a lone reading (the only one of its turbine in the period) stands for: SCADA's 10 minutes. */
export const LONE_READING_MS = 600_000;
/** The longest time one reading stands for. */
export const LONGEST_READING_MS = 86_400_000;

// IEC 61400-12-1 bins are centred on multiples of 0.5 m/s: bin i covers [0.5 i - 0.25, 0.5 i + 0.25).
const IEC_BIN = `CAST(floor((v_n + ${WIND_BIN_MS / 2}) / ${WIND_BIN_MS}) AS BIGINT)`;

/** What a reading stands for (`dt`, ms) from its steps to the previous and next reading. */
const READING_DURATION = [
  `    WHEN prev_step IS NULL AND next_step IS NULL THEN ${LONE_READING_MS}`,
  `    WHEN prev_step IS NULL OR (next_step IS NOT NULL AND next_step < prev_step) THEN least(next_step, ${LONGEST_READING_MS})`,
  `    ELSE least(prev_step, ${LONGEST_READING_MS})`,
  "  END AS dt",
];

/** A reading's steps (ms) to the previous and the next reading of its turbine. */
function stepsAround(ms: string): string[] {
  const window = "OVER (PARTITION BY turbine_id ORDER BY time)";
  return [
    `      ${ms} - lag(${ms}) ${window} AS prev_step,`,
    `      lead(${ms}) ${window} - ${ms} AS next_step`,
  ];
}

/**
 * Per turbine, status and wind bin: the readings, their power and wind summed, and the time they
 * stand for and their energy. Each reading stands for the shorter of its steps to the previous
 * and the next reading of its turbine: a burst of 1-minute readings in 10-minute data counts a
 * minute each, a reading beside a gap counts its regular step, not the gap (at most a day; a
 * lone reading 10 minutes).
 */
export function renderScadaBinsQuery(
  target: QueryTarget,
  range: ScadaRange,
  measureColumns: ReadonlySet<string>,
  /** Stall-regulated turbines: their power is normalised for density, not their wind. */
  stall: readonly string[] = [],
): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") {
    const normalise = canNormaliseDensity(measureColumns)
      ? {
          densityMeasures: DENSITY_MEASURES,
          binMs: WIND_BIN_MS,
          gasConstant: GAS_CONSTANT_DRY_AIR,
          referenceDensity: REFERENCE_AIR_DENSITY,
        }
      : null;
    return renderInfluxScadaBinsQuery(
      tableRef,
      range,
      normalise && { ...normalise, stall },
      WIND_BIN_MS,
      LONE_READING_MS,
      LONGEST_READING_MS,
    );
  }
  const ms = sqlEpochMs(dialect, "time");
  return [
    `SELECT turbine_id, status, ${IEC_BIN} AS bin,`,
    "  count(*) AS n, sum(power_kw) AS power_sum, sum(v_n) AS wind_sum,",
    "  sum(dt) / 3600000.0 AS hours, sum(power_kw * dt) / 3600000.0 AS energy_kwh,",
    "  sum(p_n * dt) / 3600000.0 AS energy_n_kwh",
    "FROM (",
    "  SELECT turbine_id, status, power_kw, p_n, v_n, CASE",
    ...READING_DURATION,
    "  FROM (",
    `    SELECT turbine_id, status, power_kw, ${sqlNormalisedPower(measureColumns, stall)} AS p_n,`,
    `      ${sqlNormalisedWind(measureColumns, stall)} AS v_n,`,
    ...stepsAround(ms),
    `    FROM ${tableRef}`,
    `    WHERE ${sqlTimeRange(dialect, range.from, range.to)}`,
    "  ) AS s",
    ") AS r",
    `GROUP BY turbine_id, status, ${IEC_BIN}`,
  ].join("\n");
}

/**
 * The same bins per UTC hour too (`hour`: hours since the epoch), with what telling a deficit's
 * cause needs: the sum of squared power (its spread within the hour) and the coldest ambient
 * temperature where it is stored. For the deficit periods (api/analyses/deficits.ts); SQL stores
 * only (DuckDB, Timestream).
 */
export function renderHourlyScadaBinsQuery(
  target: QueryTarget,
  range: ScadaRange,
  measureColumns: ReadonlySet<string>,
  stall: readonly string[] = [],
): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") throw new RangeError("hourly SCADA bins: SQL stores only");
  const ms = sqlEpochMs(dialect, "time");
  const cold = measureColumns.has("ambient_temperature_c")
    ? "min(ambient_temperature_c)"
    : "CAST(NULL AS DOUBLE)";
  const temperature = measureColumns.has("ambient_temperature_c")
    ? "ambient_temperature_c"
    : "CAST(NULL AS DOUBLE) AS ambient_temperature_c";
  return [
    `SELECT turbine_id, hour, status, ${IEC_BIN} AS bin,`,
    "  count(*) AS n, sum(power_kw) AS power_sum, sum(power_kw * power_kw) AS power_sq_sum,",
    "  sum(v_n) AS wind_sum, sum(dt) / 3600000.0 AS hours,",
    "  sum(power_kw * dt) / 3600000.0 AS energy_kwh, sum(p_n * dt) / 3600000.0 AS energy_n_kwh,",
    `  ${cold} AS min_temperature_c`,
    "FROM (",
    "  SELECT turbine_id, hour, status, power_kw, p_n, v_n, ambient_temperature_c, CASE",
    ...READING_DURATION,
    "  FROM (",
    `    SELECT turbine_id, status, power_kw, ${temperature},`,
    `      CAST(floor(${ms} / 3600000) AS BIGINT) AS hour,`,
    `      ${sqlNormalisedPower(measureColumns, stall)} AS p_n,`,
    `      ${sqlNormalisedWind(measureColumns, stall)} AS v_n,`,
    ...stepsAround(ms),
    `    FROM ${tableRef}`,
    `    WHERE ${sqlTimeRange(dialect, range.from, range.to)}`,
    "  ) AS s",
    ") AS r",
    `GROUP BY turbine_id, hour, status, ${IEC_BIN}`,
  ].join("\n");
}
