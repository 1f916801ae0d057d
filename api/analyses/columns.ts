// The column order of each analysis table, for CSV and Parquet (JSON carries the same names).
export const POWER_CURVE_COLUMNS = [
  "level",
  "model",
  "turbine_id",
  "bin_ms",
  "wind_ms",
  "power_kw",
  "power_per_rated",
  "readings",
  "data_minutes",
  "thin",
  "density_normalised",
  "curve_hours",
  "curve_bins_missing",
  "iec_complete",
] as const;

export const UNDERPERFORMANCE_COLUMNS = [
  "rank",
  "turbine_id",
  "project",
  "model",
  "producing_hours",
  "actual_mwh",
  "expected_mwh",
  "shortfall_mwh",
  "shortfall_pct",
  "flagged",
] as const;

export const AVAILABILITY_COLUMNS = [
  "level",
  "turbine_id",
  "project",
  "model",
  "province",
  "turbines",
  "period_hours",
  "data_hours",
  "unknown_hours",
  "fault_hours",
  "maintenance_hours",
  "curtailed_hours",
  "time_availability_pct",
  "energy_mwh",
  "lost_fault_mwh",
  "lost_maintenance_mwh",
  "lost_curtailment_mwh",
  "production_availability_pct",
] as const;

export const ENERGY_COLUMNS = [
  "level",
  "name",
  "turbines",
  "rated_kw",
  "energy_mwh",
  "capacity_factor",
  "data_coverage",
  "emissions_avoided_t",
] as const;

export const DEFICIT_COLUMNS = [
  "turbine_id",
  "project",
  "model",
  "cause",
  "from",
  "to",
  "hours",
  "actual_mwh",
  "expected_mwh",
  "lost_mwh",
  "ratio",
  "min_temperature_c",
] as const;

export const YAW_MISALIGNMENT_COLUMNS = [
  "turbine_id",
  "project",
  "model",
  "yaw_misalignment_deg",
  "mean_vane_deg",
  "spread_deg",
  "wind_bins",
  "readings",
  "flagged",
] as const;
