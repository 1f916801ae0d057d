// Power aggregated into time bins, optionally grouped by a dimension: the export endpoint's and
// the analysis's main query. A bin's power is the mean power of each turbine within the bin,
// summed across turbines, so that a turbine reporting twice as often does not count twice.
import { renderInfluxPowerQuery } from "./influxql.ts";
import { type PowerBin, type PowerQuery, PROJECT_OR_TURBINE } from "./power-query.ts";
import { type QueryTarget, sqlEpochMs, sqlReadingsWith, sqlTime, sqlTurbineField } from "./sql.ts";

// The query value is its own module (influxql.ts reads it too); callers take both from here.
export {
  POWER_BINS,
  POWER_GROUPS,
  type PowerBin,
  type PowerGroup,
  type PowerGrouping,
  type PowerQuery,
  PROJECT_OR_TURBINE,
} from "./power-query.ts";

const BIN_MS: Record<Exclude<PowerBin, "1mo">, number> = {
  "5m": 300_000,
  "15m": 900_000,
  "1h": 3_600_000,
  "1d": 86_400_000,
};

/** The bin's start as a column expression, in each dialect (months are calendar months, UTC). */
function binStart(target: QueryTarget, every: PowerBin): string {
  if (every === "1mo") return "date_trunc('month', time)";
  if (target.dialect === "timestream") return `bin(time, ${every})`;
  return `time_bucket(INTERVAL '${BIN_MS[every] / 1000} seconds', time)`;
}

export function renderPowerQuery(target: QueryTarget, query: PowerQuery): string {
  const { dialect, tableRef } = target;
  if (dialect === "influxdb") return renderInfluxPowerQuery(tableRef, query);
  // Groups other than turbines come from the registry (project, model, tags such as province).
  const registryField = query.by === PROJECT_OR_TURBINE ? "project" : query.by;
  const fields = query.by === "none" || query.by === "turbine" ? [] : [registryField];
  const group =
    query.by === "none"
      ? "'all'"
      : query.by === PROJECT_OR_TURBINE
        ? `coalesce(${sqlTurbineField(dialect, "project")}, turbine_id)`
        : sqlTurbineField(dialect, query.by === "turbine" ? "turbine_id" : query.by);
  return [
    "WITH per_turbine AS (",
    `  SELECT ${binStart(target, query.every)} AS bin, turbine_id, ${group} AS grp, avg(power_kw) AS mean_kw`,
    `  FROM ${sqlReadingsWith(target, fields)}`,
    `  WHERE time >= ${sqlTime(dialect, query.from)} AND time < ${sqlTime(dialect, query.to)}`,
    `  GROUP BY 1, 2, 3`,
    ")",
    `SELECT ${sqlEpochMs(dialect, "bin")} AS bin_ms, grp, sum(mean_kw) AS power_kw, count(*) AS turbines`,
    "FROM per_turbine",
    "GROUP BY bin, grp",
    "ORDER BY bin_ms, grp",
  ].join("\n");
}

/** Where a bin that starts at `start` ends (months have their own lengths). */
export function binEnd(start: number, every: PowerBin): number {
  if (every !== "1mo") return start + BIN_MS[every];
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** How many bins a range spans, to refuse or page huge exports before running them. */
export function binCount(from: number, to: number, every: PowerBin): number {
  if (every !== "1mo") return Math.ceil((to - from) / BIN_MS[every]);
  const a = new Date(from);
  const b = new Date(to);
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth() + 1;
}

export interface PowerBinRow {
  time: string;
  group: string | null;
  power_kw: number;
  energy_kwh: number;
  turbines: number;
}

export function powerRowsFrom(
  rows: ReadonlyArray<Record<string, unknown>>,
  query: PowerQuery,
): PowerBinRow[] {
  return rows.map((row) => {
    const start = Number(row.bin_ms);
    const power = Number(row.power_kw);
    return {
      time: new Date(start).toISOString(),
      group: query.by === "none" ? null : row.grp === null ? null : String(row.grp),
      power_kw: round(power, 3),
      energy_kwh: round((power * (binEnd(start, query.every) - start)) / 3_600_000, 3),
      turbines: Number(row.turbines),
    };
  });
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
