// From stored readings to Arquero tables: the queries run on the store (DuckDB or Timestream,
// through api/queries), the shaping happens here, one function per table an analyst looks at.
import * as aq from "arquero";
import {
  renderCompletenessQuery,
  renderPowerCurveQuery,
  renderTurbineSummaryQuery,
  type TimeRange,
} from "../../api/queries/analysis.ts";
import {
  type PowerBin,
  type PowerBinRow,
  type PowerQuery,
  PROJECT_OR_TURBINE,
  powerRowsFrom,
  renderPowerQuery,
} from "../../api/queries/power.ts";
import { queryTarget } from "../../api/queries/sql.ts";
import type { ReadingStore } from "../../api/store/port.ts";

export type Table = ReturnType<typeof aq.from>;

// Arquero hands expressions a row of the table's columns (and $ for params); ours are numbers.
type NumericColumn =
  | "power_kw"
  | "power_mw"
  | "energy_mwh"
  | "energy_kwh"
  | "mean_kw"
  | "mean_mw"
  | "rated_kw"
  | "rated_mw"
  | "per_unit"
  | "interval_ms"
  | "readings"
  | "expected"
  | "gap_ms"
  | "lat"
  | "lon"
  | "span";
export type Row = Record<NumericColumn, number>;
type TextRow = Record<"project" | "turbine_id", string | null>;

const HOUR = 3_600_000;

/** A table of these columns from rows: a range without readings still gives the columns. */
function tableOf(rows: readonly object[], columns: readonly string[]): Table {
  const values = rows as readonly Record<string, unknown>[];
  return aq.table(Object.fromEntries(columns.map((c) => [c, values.map((row) => row[c])])));
}

const POWER_COLUMNS = ["time", "power_mw", "energy_mwh", "turbines"];

/** A bin size that gives a readable number of points for the range. */
export function binFor(range: TimeRange): PowerBin {
  const hours = (range.to - range.from) / HOUR;
  if (hours <= 6) return "5m";
  if (hours <= 72) return "15m";
  if (hours <= 24 * 45) return "1h";
  return "1d";
}

/** The power query's bins (api/queries/power.ts), as GET /v1/power answers them. */
async function powerRows(store: ReadingStore, query: PowerQuery): Promise<PowerBinRow[]> {
  return powerRowsFrom(await store.select(renderPowerQuery(queryTarget(store), query)), query);
}

/** Total fleet power over time: time, power_mw, energy_mwh, turbines. */
export async function fleetPower(
  store: ReadingStore,
  range: TimeRange,
  every = binFor(range),
): Promise<Table> {
  const rows = await powerRows(store, { ...range, every, by: "none" });
  return tableOf(
    rows.map((r) => ({
      time: r.time,
      power_mw: r.power_kw / 1000,
      energy_mwh: r.energy_kwh / 1000,
      turbines: r.turbines,
    })),
    POWER_COLUMNS,
  ).derive({
    power_mw: (d: Row) => op.round(d.power_mw * 1000) / 1000,
    energy_mwh: (d: Row) => op.round(d.energy_mwh * 1000) / 1000,
  });
}

const op = aq.op;

const TURBINE_COLUMNS = [
  "turbine_id",
  "project",
  "municipality",
  "province",
  "model",
  "rated_kw",
  "lat",
  "lon",
  "readings",
  "mean_kw",
];

/**
 * One row per turbine: its tags (project, municipality, province, model, rated_kw, lat, lon),
 * how many readings it sent in the range, and its mean power.
 */
export async function turbines(store: ReadingStore, range: TimeRange): Promise<Table> {
  const rows = await store.select(renderTurbineSummaryQuery(queryTarget(store), range));
  return tableOf(rows, TURBINE_COLUMNS);
}

/**
 * The bin of the per-project table: as binFor up to a week, days beyond. A month of 770 projects
 * in hours is 0.55 M rows, which no one reads in a CSV and the chart draws 12 of; in days it is
 * 23,000 (and the store groups 65,000 turbine-days instead of 1.5 M turbine-hours).
 */
export function projectBinFor(range: TimeRange): PowerBin {
  return range.to - range.from > 7 * 24 * HOUR ? "1d" : binFor(range);
}

/** Each turbine's project: its `project`, or, without one, the turbine is its own project. */
function projectOfTurbine(turbineTable: Table): Table {
  return turbineTable
    .derive({ project: (d: TextRow) => (d.project !== null ? d.project : d.turbine_id) })
    .select("turbine_id", "project");
}

/**
 * Power over time per project, one row per project and bin (the original experiment's power per
 * project): time, project, power_mw, energy_mwh, turbines. A turbine without a registered project
 * is its own. The store adds the turbines' bins up (PROJECT_OR_TURBINE), as GET /v1/power counts
 * the fleet's, so a month of a 2,000-turbine fleet is 0.5 M project bins, not 1.5 M turbine
 * bins, in this process. energy_mwh keeps watt-hours, so that projects() adds it up exactly.
 */
export async function projectPower(
  store: ReadingStore,
  range: TimeRange,
  every = projectBinFor(range),
): Promise<Table> {
  const rows = await powerRows(store, { ...range, every, by: PROJECT_OR_TURBINE });
  return tableOf(
    rows.map((r) => ({
      time: r.time,
      project: r.group,
      power_mw: Math.round(r.power_kw) / 1000,
      energy_mwh: r.energy_kwh / 1000,
      turbines: r.turbines,
    })),
    ["time", "project", "power_mw", "energy_mwh", "turbines"],
  );
}

/**
 * One row per project: how many turbines reported, mean power, capacity factor, and energy as the
 * sum over time bins of each turbine's mean power times the bin's hours, as GET /v1/power counts
 * it, so that hours without readings add nothing. The simulator sends one reading per project
 * (the farm's output, rated_kw the farm's), a real fleet one per turbine (rated_kw the
 * turbine's): both add up the same way.
 */
export function projects(turbineTable: Table, projectPowerTable: Table): Table {
  const energy = projectPowerTable
    .groupby("project")
    .rollup({ energy_kwh: (d: Row) => op.sum(d.energy_mwh) * 1000 })
    .rename({ project: "group" });
  return turbineTable
    .join(projectOfTurbine(turbineTable).rename({ project: "group" }), "turbine_id")
    .groupby("group")
    .rollup({
      municipality: op.any("municipality"),
      province: op.any("province"),
      model: op.any("model"),
      turbines: op.count(),
      rated_kw: op.sum("rated_kw"),
      lat: op.mean("lat"),
      lon: op.mean("lon"),
      readings: op.sum("readings"),
      mean_kw: op.sum("mean_kw"),
    })
    .join_left(energy, "group")
    .rename({ group: "project" })
    .derive({
      mean_mw: (d: Row) => op.round(d.mean_kw) / 1000,
      energy_mwh: (d: Row) => op.round(d.energy_kwh) / 1000,
      capacity_factor: (d: Row) =>
        d.rated_kw > 0 ? op.round((d.mean_kw / d.rated_kw) * 1000) / 1000 : null,
    })
    .select(
      "project",
      "municipality",
      "province",
      "model",
      "turbines",
      "rated_kw",
      "lat",
      "lon",
      "readings",
      "mean_mw",
      "energy_mwh",
      "capacity_factor",
    )
    .orderby(aq.desc("energy_mwh"));
}

/** Power and energy per province, from the project table. */
export function provinces(projectTable: Table): Table {
  return projectTable
    .groupby("province")
    .rollup({
      projects: op.count(),
      rated_mw: (d: Row) => op.round(op.sum(d.rated_kw) / 100) / 10,
      mean_mw: (d: Row) => op.round(op.sum(d.mean_mw) * 10) / 10,
      energy_mwh: (d: Row) => op.round(op.sum(d.energy_mwh) * 1000) / 1000,
    })
    .derive({ capacity_factor: (d: Row) => op.round((d.mean_mw / d.rated_mw) * 1000) / 1000 })
    .orderby(aq.desc("energy_mwh"));
}

/** The `n` projects that produced the most energy, and the `n` that produced the least. */
export function topAndBottom(projectTable: Table, n = 5): { top: Table; bottom: Table } {
  const columns = ["project", "province", "model", "rated_kw", "energy_mwh", "capacity_factor"];
  return {
    top: projectTable.orderby(aq.desc("energy_mwh")).select(columns).slice(0, n),
    bottom: projectTable.orderby("energy_mwh").select(columns).slice(0, n),
  };
}

/** Output per unit of rated power by wind-speed bin, over readings while producing. */
export async function powerCurve(store: ReadingStore, range: TimeRange): Promise<Table> {
  const rows = await store.select(renderPowerCurveQuery(queryTarget(store), range));
  return tableOf(rows, ["wind_ms", "per_unit", "readings"]).derive({
    per_unit: (d: Row) => op.round(d.per_unit * 1000) / 1000,
  });
}

/** Expected versus received readings per turbine, and the gaps. */
export async function completeness(store: ReadingStore, range: TimeRange): Promise<Table> {
  const rows = await store.select(renderCompletenessQuery(queryTarget(store), range));
  return tableOf(rows, ["turbine_id", "readings", "interval_ms", "gaps", "gap_ms"])
    .params({ span: range.to - range.from })
    .derive({
      expected: (d: Row, $: Row) =>
        d.interval_ms > 0 ? op.ceil($.span / d.interval_ms) : d.readings,
      interval_s: (d: Row) => d.interval_ms / 1000,
      gap_minutes: (d: Row) => op.round(d.gap_ms / 60000),
    })
    .derive({
      received_pct: (d: Row) => op.round((d.readings / op.greatest(d.expected, 1)) * 1000) / 10,
    })
    .select(
      "turbine_id",
      "readings",
      "expected",
      "received_pct",
      "interval_s",
      "gaps",
      "gap_minutes",
    )
    .orderby("received_pct");
}
