// The power query as a value: its bins and groupings, which every dialect's renderer reads
// (power.ts for SQL, influxql.ts for InfluxQL) and the HTTP API and notebooks offer.
export const POWER_BINS = ["5m", "15m", "1h", "1d", "1mo"] as const;
export type PowerBin = (typeof POWER_BINS)[number];
export const POWER_GROUPS = [
  "none",
  "turbine",
  "project",
  "municipality",
  "province",
  "model",
] as const;
export type PowerGroup = (typeof POWER_GROUPS)[number];
/**
 * The report's grouping (not an API group): the registered project, and a turbine without one
 * is its own project, so that the store adds the turbines up instead of the notebook.
 */
export const PROJECT_OR_TURBINE = "project_or_turbine" as const;
export type PowerGrouping = PowerGroup | typeof PROJECT_OR_TURBINE;

export interface PowerQuery {
  from: number;
  to: number;
  every: PowerBin;
  by: PowerGrouping;
}
