// The product's queries for the InfluxDB store. InfluxQL (the query language InfluxDB 1.x, 2.x
// and 3.x all answer on the v1 `/query`) has no joins, window functions, CTEs or expressions in
// GROUP BY, so each query is split in two: InfluxQL does what it can on the server (time
// buckets, per-turbine means, sums and counts), and a finishing step here turns its answer
// into exactly the rows the SQL stores return for the same query (same columns, same order).
//
// A rendered query is InfluxQL headed by one comment line naming its finishing step:
//   -- gust:power {"every":"5m"}
//   SELECT mean("power_kw") AS "mean_kw" FROM "readings" WHERE ... GROUP BY time(5m), "turbine_id"
// Text without that header is InfluxQL whose rows come back as they are.
import type { InfluxSeries } from "./influxdb-series.ts";
import { influxIdentifier, influxString, seriesRows } from "./influxdb-series.ts";
import { PROJECT_OR_TURBINE } from "./power-query.ts";
import type { QueryRow } from "./runner.ts";

type Finish = (answers: InfluxSeries[][], params: Record<string, unknown>) => QueryRow[];

const HEADER = /^-- gust:([a-z-]+) (\{.*\})\n/;

function headed(finish: keyof typeof FINISHES, params: object, influxql: string[]): string {
  return `-- gust:${finish} ${JSON.stringify(params)}\n${influxql.join(";\n")}`;
}

/** Runs a rendered query with `run` (one /query request) and finishes its answer. */
export async function answerInfluxQuery(
  query: string,
  run: (influxql: string) => Promise<InfluxSeries[][]>,
): Promise<QueryRow[]> {
  const header = HEADER.exec(query);
  if (!header) return seriesRows((await run(query))[0] ?? []);
  const finish = FINISHES[header[1] as keyof typeof FINISHES];
  if (!finish) throw new Error(`unknown InfluxDB query finish: ${header[1]}`);
  const answers = await run(query.slice(header[0].length));
  return finish(answers, JSON.parse(header[2] as string) as Record<string, unknown>);
}

/** `time >= from AND time < to`, times in epoch ms. */
export function influxTimeRange(from: number, to: number): string {
  return `time >= ${ms(from)} AND time < ${ms(to)}`;
}

function ms(epochMs: number): string {
  if (!Number.isSafeInteger(epochMs))
    throw new RangeError(`not a time in milliseconds: ${epochMs}`);
  return `${epochMs}ms`;
}

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]{0,59}$/;

function tag(name: string): string {
  if (!TAG_NAME.test(name)) throw new RangeError(`not a tag name: ${name}`);
  return influxIdentifier(name);
}

// --- power bins (power.ts) ------------------------------------------------------------------

const POWER_INTERVAL: Record<string, string> = { "5m": "5m", "15m": "15m", "1h": "1h", "1d": "1d" };

/**
 * Per turbine and bin, the mean power (months: the sum and count per UTC day, combined here,
 * since InfluxQL buckets have fixed lengths); then per bin and group, summed across turbines.
 */
export function renderInfluxPowerQuery(
  tableRef: string,
  query: { from: number; to: number; every: string; by: string },
): string {
  const tagName = query.by === PROJECT_OR_TURBINE ? "project" : query.by;
  const group = query.by === "none" || query.by === "turbine" ? "" : `, ${tag(tagName)}`;
  const where = `WHERE ${influxTimeRange(query.from, query.to)}`;
  const monthly = query.every === "1mo";
  const interval = monthly ? "1d" : POWER_INTERVAL[query.every];
  if (!interval) throw new RangeError(`not a power bin: ${query.every}`);
  const select = monthly
    ? `SELECT sum("power_kw") AS "kw", count("power_kw") AS "n"`
    : `SELECT mean("power_kw") AS "kw", count("power_kw") AS "n"`;
  return headed("power", { monthly, by: query.by }, [
    `${select} FROM ${tableRef} ${where} GROUP BY time(${interval}), "turbine_id"${group} fill(none)`,
  ]);
}

function finishPower(answers: InfluxSeries[][], params: Record<string, unknown>): QueryRow[] {
  const by = String(params.by);
  const monthly = params.monthly === true;
  // Months first become one mean per turbine and month.
  const perTurbine = new Map<
    string,
    { bin: number; turbine: string; grp: string | null; kw: number; n: number }
  >();
  for (const row of seriesRows(answers[0] ?? [])) {
    const turbine = String(row.turbine_id);
    const grp =
      by === "none"
        ? "all"
        : by === "turbine"
          ? turbine
          : by === PROJECT_OR_TURBINE
            ? ((row.project as string | null) ?? turbine)
            : (row[by] as string | null);
    const bin = monthly ? monthStart(Number(row.time)) : Number(row.time);
    const key = `${bin}\u0000${turbine}\u0000${grp}`;
    const entry = perTurbine.get(key) ?? { bin, turbine, grp, kw: 0, n: 0 };
    if (monthly) {
      entry.kw += Number(row.kw);
      entry.n += Number(row.n);
    } else {
      // Several series of one turbine (tags changed) in one bin: weight each mean by its count.
      entry.kw += Number(row.kw) * Number(row.n);
      entry.n += Number(row.n);
    }
    perTurbine.set(key, entry);
  }
  const bins = new Map<
    string,
    { bin_ms: number; grp: string | null; power_kw: number; turbines: number }
  >();
  for (const { bin, grp, kw, n } of perTurbine.values()) {
    const key = `${bin}\u0000${grp}`;
    const entry = bins.get(key) ?? { bin_ms: bin, grp, power_kw: 0, turbines: 0 };
    entry.power_kw += kw / n;
    entry.turbines += 1;
    bins.set(key, entry);
  }
  return [...bins.values()].sort((a, b) => a.bin_ms - b.bin_ms || compareNullsLast(a.grp, b.grp));
}

function monthStart(epochMs: number): number {
  const date = new Date(epochMs);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function compareNullsLast(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

// --- one turbine's readings (readings.ts) ----------------------------------------------------

export function renderInfluxReadingsQuery(
  tableRef: string,
  query: { turbineId?: string; from: number; to: number; limit: number },
): string {
  const limit = Math.trunc(query.limit);
  const only =
    query.turbineId === undefined ? "" : `"turbine_id" = ${influxString(query.turbineId)} AND `;
  return headed("readings", { limit }, [
    `SELECT * FROM ${tableRef} WHERE ${only}${influxTimeRange(query.from, query.to)} GROUP BY * ORDER BY time ASC LIMIT ${limit}`,
  ]);
}

/** Rows like the SQL stores': time_ms, the fields, the tags as string columns, "" status null. */
function finishReadings(answers: InfluxSeries[][], params: Record<string, unknown>): QueryRow[] {
  // LIMIT applies per series: merge the series, then cut.
  const rows = seriesRows(answers[0] ?? []).map((row) => {
    const { time, ...rest } = row;
    const out: QueryRow = { time_ms: Number(time) };
    for (const [name, value] of Object.entries(rest)) if (value !== null) out[name] = value;
    if (out.status === "") out.status = null;
    return out;
  });
  rows.sort((a, b) => Number(a.time_ms) - Number(b.time_ms));
  return rows.slice(0, Number(params.limit));
}

// --- analyses (analysis.ts) ------------------------------------------------------------------

const SUMMARY_TAGS = ["project", "municipality", "province", "model"];
// The registry's dimension names (api/registry/dimensions.ts), and the analysis's column names.
const SUMMARY_NUMERIC_TAGS: [dimension: string, column: string][] = [
  ["rated_kw", "rated_kw"],
  ["latitude", "lat"],
  ["longitude", "lon"],
];
const SUMMARY_TAG_NAMES = [
  ...SUMMARY_TAGS,
  ...SUMMARY_NUMERIC_TAGS.map(([dimension]) => dimension),
];

export function renderInfluxTurbineSummaryQuery(
  tableRef: string,
  range: { from: number; to: number },
): string {
  const tags = SUMMARY_TAG_NAMES.map(tag).join(", ");
  return headed("turbine-summary", {}, [
    `SELECT count("power_kw") AS "n", sum("power_kw") AS "kw" FROM ${tableRef} WHERE ${influxTimeRange(range.from, range.to)} GROUP BY "turbine_id", ${tags}`,
  ]);
}

function finishTurbineSummary(answers: InfluxSeries[][]): QueryRow[] {
  const turbines = new Map<string, QueryRow & { n: number; kw: number }>();
  for (const row of seriesRows(answers[0] ?? [])) {
    const id = String(row.turbine_id);
    const entry = turbines.get(id) ?? { turbine_id: id, n: 0, kw: 0 };
    entry.n += Number(row.n);
    entry.kw += Number(row.kw);
    for (const name of SUMMARY_TAG_NAMES) {
      const value = row[name] as string | null;
      const current = entry[name] as string | null | undefined;
      entry[name] = current == null || (value !== null && value > current) ? value : current;
    }
    turbines.set(id, entry);
  }
  return [...turbines.values()]
    .sort((a, b) => compareNullsLast(String(a.turbine_id), String(b.turbine_id)))
    .map(({ n, kw, ...row }) => {
      const out: QueryRow = { turbine_id: row.turbine_id as string };
      for (const name of SUMMARY_TAGS) out[name] = row[name] ?? null;
      for (const [dimension, column] of SUMMARY_NUMERIC_TAGS)
        out[column] = row[dimension] == null ? null : Number(row[dimension]);
      return { ...out, readings: n, mean_kw: kw / n };
    });
}

/** Producing readings' power and wind per turbine; binned by wind speed here (InfluxQL cannot). */
export function renderInfluxPowerCurveQuery(
  tableRef: string,
  range: { from: number; to: number },
): string {
  return headed("power-curve", {}, [
    `SELECT "power_kw", "wind_speed_ms" FROM ${tableRef} WHERE ${influxTimeRange(range.from, range.to)} AND "status" = 'producing' GROUP BY "turbine_id", "rated_kw"`,
  ]);
}

function finishPowerCurve(answers: InfluxSeries[][]): QueryRow[] {
  // As the SQL: per turbine and bin the sum and count, then sum(kw / rated) / sum(n) per bin.
  const perTurbine = new Map<string, { wind: number; kw: number; n: number; rated: number }>();
  for (const row of seriesRows(answers[0] ?? [])) {
    const rated = row.rated_kw == null ? Number.NaN : Number(row.rated_kw);
    const wind = Math.floor(Number(row.wind_speed_ms)) + 0.5;
    const key = `${row.turbine_id}\u0000${wind}`;
    const entry = perTurbine.get(key) ?? { wind, kw: 0, n: 0, rated };
    entry.kw += Number(row.power_kw);
    entry.n += 1;
    entry.rated = Number.isNaN(entry.rated) ? rated : Math.max(entry.rated, rated);
    perTurbine.set(key, entry);
  }
  const bins = new Map<number, { perUnit: number; n: number }>();
  for (const { wind, kw, n, rated } of perTurbine.values()) {
    if (!(rated > 0)) continue;
    const entry = bins.get(wind) ?? { perUnit: 0, n: 0 };
    entry.perUnit += kw / rated;
    entry.n += n;
    bins.set(wind, entry);
  }
  return [...bins.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wind_ms, { perUnit, n }]) => ({ wind_ms, per_unit: perUnit / n, readings: n }));
}

/** Each turbine's reading times; steps, median interval and gaps are worked out here. */
export function renderInfluxCompletenessQuery(
  tableRef: string,
  range: { from: number; to: number },
): string {
  return headed("completeness", { from: range.from, to: range.to }, [
    `SELECT "power_kw" FROM ${tableRef} WHERE ${influxTimeRange(range.from, range.to)} GROUP BY "turbine_id"`,
  ]);
}

function finishCompleteness(
  answers: InfluxSeries[][],
  params: Record<string, unknown>,
): QueryRow[] {
  const from = Number(params.from);
  const to = Number(params.to);
  const times = new Map<string, number[]>();
  for (const row of seriesRows(answers[0] ?? [])) {
    const id = String(row.turbine_id);
    const list = times.get(id) ?? [];
    list.push(Number(row.time));
    times.set(id, list);
  }
  return [...times.keys()].sort().map((turbine_id) => {
    const at = (times.get(turbine_id) as number[]).sort((a, b) => a - b);
    const steps = at.slice(1).map((time, i) => time - (at[i] as number));
    const interval = median(steps);
    let gaps = 0;
    let gapMs = 0;
    // The range's start and end count as steps, as in the SQL.
    for (const step of [...steps, (at[0] as number) - from, to - (at.at(-1) as number)]) {
      if (interval !== null && step > 2 * interval) {
        gaps += 1;
        gapMs += step - interval;
      }
    }
    return { turbine_id, readings: at.length, interval_ms: interval, gaps, gap_ms: gapMs };
  });
}

/** DuckDB's median: the middle value, or the mean of the two middle ones. */
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function renderInfluxDataExtentQuery(tableRef: string): string {
  return headed("data-extent", {}, [
    `SELECT count("power_kw") AS "n" FROM ${tableRef}`,
    `SELECT first("power_kw") FROM ${tableRef}`,
    `SELECT last("power_kw") FROM ${tableRef}`,
  ]);
}

function finishDataExtent(answers: InfluxSeries[][]): QueryRow[] {
  const [count, first, last] = answers.map((series) => seriesRows(series)[0]);
  return [
    {
      first_ms: first ? Number(first.time) : null,
      last_ms: last ? Number(last.time) : null,
      readings: count ? Number(count.n) : 0,
    },
  ];
}

// --- the wind analyses' scan (scada.ts) ------------------------------------------------------

/** Each reading's power, wind, status (and density measures); binned by normalised wind here. */
export function renderInfluxScadaBinsQuery(
  tableRef: string,
  range: { from: number; to: number },
  normalise: {
    densityMeasures: readonly string[];
    binMs: number;
    gasConstant: number;
    referenceDensity: number;
    stall: readonly string[];
  } | null,
  binMs: number,
  loneMs: number,
  longestMs: number,
): string {
  const columns = ['"power_kw"', '"wind_speed_ms"', '"status"'];
  if (normalise) columns.push(...normalise.densityMeasures.map((name) => influxIdentifier(name)));
  return headed("scada-bins", { binMs, normalise, loneMs, longestMs }, [
    `SELECT ${columns.join(", ")} FROM ${tableRef} WHERE ${influxTimeRange(range.from, range.to)} GROUP BY "turbine_id"`,
  ]);
}

function finishScadaBins(answers: InfluxSeries[][], params: Record<string, unknown>): QueryRow[] {
  const binMs = Number(params.binMs);
  const loneMs = Number(params.loneMs);
  const longestMs = Number(params.longestMs);
  const normalise = params.normalise as {
    densityMeasures: [string, string];
    gasConstant: number;
    referenceDensity: number;
    stall: string[];
  } | null;
  const stall = new Set(normalise?.stall ?? []);
  const perTurbine = new Map<string, { time: number; row: QueryRow }[]>();
  for (const row of seriesRows(answers[0] ?? [])) {
    const id = String(row.turbine_id);
    let list = perTurbine.get(id);
    if (!list) {
      list = [];
      perTurbine.set(id, list);
    }
    list.push({ time: Number(row.time), row });
  }
  const groups = new Map<
    string,
    {
      turbine_id: string;
      status: string | null;
      bin: number;
      n: number;
      power_sum: number;
      wind_sum: number;
      hours: number;
      energy_kwh: number;
      energy_n_kwh: number;
    }
  >();
  for (const [id, list] of perTurbine) {
    list.sort((a, b) => a.time - b.time);
    for (const [i, { time, row }] of list.entries()) {
      let wind = Number(row.wind_speed_ms);
      const power = Number(row.power_kw);
      let powerN = power;
      if (normalise) {
        // As the SQL: pitch v cbrt(rho / 1.225), stall P 1.225 / rho, rho = p / (R T); the
        // measured values when either measure is missing.
        const [temperatureName, pressureName] = normalise.densityMeasures;
        const temperature = row[temperatureName];
        const pressure = row[pressureName];
        if (typeof temperature === "number" && typeof pressure === "number") {
          const density = (pressure * 100) / (normalise.gasConstant * (temperature + 273.15));
          const ratio = density / normalise.referenceDensity;
          if (Number.isFinite(ratio) && ratio > 0) {
            if (stall.has(id)) powerN = power / ratio;
            else wind *= Math.cbrt(ratio);
          }
        }
      }
      // As the SQL: the shorter of the steps to the previous and the next reading.
      const before = list[i - 1];
      const after = list[i + 1];
      const steps = [before ? time - before.time : null, after ? after.time - time : null].filter(
        (step): step is number => step !== null,
      );
      const dt = steps.length === 0 ? loneMs : Math.min(longestMs, ...steps);
      const status = row.status === "" || row.status === null ? null : String(row.status);
      // Centred on multiples of the bin width (IEC 61400-12-1), as the SQL.
      const bin = Math.floor((wind + binMs / 2) / binMs);
      const key = `${id}\u0000${status}\u0000${bin}`;
      const entry = groups.get(key) ?? {
        turbine_id: id,
        status,
        bin,
        n: 0,
        power_sum: 0,
        wind_sum: 0,
        hours: 0,
        energy_kwh: 0,
        energy_n_kwh: 0,
      };
      entry.n += 1;
      entry.power_sum += power;
      entry.wind_sum += wind;
      // Summed in ms and kW ms and divided once, as the SQL does, so both stores agree to the bit.
      entry.hours += dt;
      entry.energy_kwh += power * dt;
      entry.energy_n_kwh += powerN * dt;
      groups.set(key, entry);
    }
  }
  return [...groups.values()].map((g) => ({
    ...g,
    hours: g.hours / 3_600_000,
    energy_kwh: g.energy_kwh / 3_600_000,
    energy_n_kwh: g.energy_n_kwh / 3_600_000,
  }));
}

// --- the raw readings export (export.ts) ----------------------------------------------------

/** The readings of the range, across every series (one count, without GROUP BY). */
export function renderInfluxExportCountQuery(
  tableRef: string,
  range: { from: number; to: number },
): string {
  return `SELECT count("power_kw") AS "n" FROM ${tableRef} WHERE ${influxTimeRange(range.from, range.to)}`;
}

/**
 * The readings from `range.from` in time order, across every series (no GROUP BY, so LIMIT counts
 * readings, not readings per series), at most `limit`; sorted by (time, turbine_id) here, since
 * InfluxQL orders only by time.
 */
export function renderInfluxExportPageQuery(
  tableRef: string,
  range: { from: number; to: number },
  measures: readonly string[],
  limit?: number,
): string {
  const fields = ["power_kw", "wind_speed_ms", "status", "status_code", "version", ...measures];
  return headed("export", { measures }, [
    [
      `SELECT "turbine_id"::tag, ${fields.map((name) => `${influxIdentifier(name)}::field`).join(", ")}`,
      `FROM ${tableRef} WHERE ${influxTimeRange(range.from, range.to)} ORDER BY time ASC`,
      limit === undefined ? "" : `LIMIT ${Math.trunc(limit)}`,
    ]
      .filter(Boolean)
      .join(" "),
  ]);
}

/** Rows as the SQL stores' export pages: turbine_id, time_ms, the fields, "" status null. */
function finishExport(answers: InfluxSeries[][], params: Record<string, unknown>): QueryRow[] {
  const measures = params.measures as string[];
  const rows = seriesRows(answers[0] ?? []).map((row) => {
    const out: QueryRow = {
      turbine_id: row.turbine_id ?? null,
      time_ms: Number(row.time),
      power_kw: row.power_kw ?? null,
      wind_speed_ms: row.wind_speed_ms ?? null,
      status: row.status === "" ? null : (row.status ?? null),
      status_code: row.status_code ?? null,
      version: row.version ?? null,
    };
    for (const name of measures) out[name] = row[name] ?? null;
    return out;
  });
  return rows.sort(
    (a, b) =>
      Number(a.time_ms) - Number(b.time_ms) ||
      compareNullsLast(a.turbine_id as string | null, b.turbine_id as string | null),
  );
}

// --- the registry listing's view of the store (turbine-status.ts) ----------------------------

/** Each turbine's latest reading since `since`, and its readings since `recent`. */
export function renderInfluxTurbineStatusQuery(
  tableRef: string,
  query: { since: number; recent: number; turbineIds?: readonly string[] },
): string {
  const only =
    query.turbineIds === undefined
      ? ""
      : ` AND "turbine_id" =~ /^(?:${query.turbineIds.map((id) => id.replace(/[\\^$.|?*+()[\]{}/-]/g, (c) => `\\${c}`)).join("|")})$/`;
  return headed("turbine-status", {}, [
    `SELECT * FROM ${tableRef} WHERE time >= ${ms(query.since)}${only} GROUP BY "turbine_id" ORDER BY time DESC LIMIT 1`,
    `SELECT count("power_kw") AS "n" FROM ${tableRef} WHERE time >= ${ms(query.recent)}${only} GROUP BY "turbine_id"`,
  ]);
}

/** One row a turbine that reported since `since` (its turbine_id, and a count left unused). */
export function renderInfluxSeenTurbinesQuery(tableRef: string, since: number): string {
  return `SELECT count("power_kw") AS "n" FROM ${tableRef} WHERE time >= ${ms(since)} GROUP BY "turbine_id"`;
}

function finishTurbineStatus(answers: InfluxSeries[][]): QueryRow[] {
  const recent = new Map<string, number>();
  for (const row of seriesRows(answers[1] ?? [])) recent.set(String(row.turbine_id), Number(row.n));
  return seriesRows(answers[0] ?? []).map((row) => {
    const { time, ...rest } = row;
    const out: QueryRow = { time_ms: Number(time) };
    for (const [name, value] of Object.entries(rest)) if (value !== null) out[name] = value;
    if (out.status === "") out.status = null;
    out.readings_24h = recent.get(String(row.turbine_id)) ?? 0;
    return out;
  });
}

const FINISHES = {
  export: finishExport,
  "turbine-status": finishTurbineStatus,
  "scada-bins": finishScadaBins,
  power: finishPower,
  readings: finishReadings,
  "turbine-summary": finishTurbineSummary,
  "power-curve": finishPowerCurve,
  completeness: finishCompleteness,
  "data-extent": finishDataExtent,
} satisfies Record<string, Finish>;
