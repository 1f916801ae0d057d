// One analysis run, as `npm run analyze` and `npm start` use it: the tables, printed; with an
// output directory, one CSV per table and the HTML report.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Writable } from "node:stream";
import * as aq from "arquero";
import type { TurbineFacts } from "../../api/analyses/scan.ts";
import { svgToPng } from "../../api/charts/png.ts";
import { tableCsv } from "../../api/csv.ts";
import { duckDbParquetWriter } from "../../api/export/duckdb-parquet.ts";
import { inferColumns } from "../../api/export/parquet.ts";
import {
  renderCompletenessQuery,
  renderDataExtentQuery,
  type TimeRange,
} from "../../api/queries/analysis.ts";
import { queryTarget } from "../../api/queries/sql.ts";
import type { ReadingStore } from "../../api/store/port.ts";
import {
  fleetPowerChart,
  powerCurveChart,
  projectMapChart,
  projectPowerChart,
  renderSvg,
} from "./charts.ts";
import { type FleetBin, lateBins, lateBinsNote } from "./late-bins.ts";
import { analysisPeriod, DAY_MS } from "./period.ts";
import { formatTable } from "./print.ts";
import { renderReport } from "./report.ts";
import {
  completeness,
  fleetPower,
  powerCurve,
  projectPower,
  projects,
  provinces,
  type Table,
  topAndBottom,
  turbines,
} from "./tables.ts";
import type { TurbinePlace } from "./wind-charts.ts";
import { windCharts, windSection } from "./wind-section.ts";

export interface AnalysisOptions {
  store: ReadingStore;
  /** Defaults: the data's last 24 hours, ending one reporting interval after the last reading. */
  from?: number;
  to?: number;
  /** Write one CSV per table and report.html here. */
  outDir?: string;
  /** kg CO2 per kWh for the emissions avoided (default: api/analyses/emissions.ts). */
  gridEmissionFactorKgPerKwh?: number;
  /** Write each table as Parquet too (beside the CSV). */
  parquet?: boolean;
  /**
   * The fleet registry: with its turbines (model, rated power, project, location) the wind
   * analyses join the report (power curves, underperformance, availability, the fleet map).
   */
  registry?: { list(): Promise<readonly (TurbineFacts & Partial<TurbinePlace>)[]> };
  out?: Writable;
}

export interface AnalysisResult {
  range: TimeRange;
  tables: Record<string, Table>;
  headline: string[];
  reportPath?: string;
  csvPaths: string[];
  parquetPaths: string[];
  /** The report's charts as PNG files, one per chart. */
  pngPaths: string[];
}

/** The range to analyse: as asked, the rest from the data (notebooks/lib/period.ts). */
export async function analysisRange(
  store: ReadingStore,
  from?: number,
  to?: number,
): Promise<TimeRange | null> {
  if (from !== undefined && to !== undefined) return { from, to };
  const target = queryTarget(store);
  const [extent] = await store.select(renderDataExtentQuery(target));
  if (!extent || extent.last_ms === null) return null;
  const lastMs = Number(extent.last_ms);
  // The turbines' intervals over the data's last day: where the default end falls.
  const recent = await store.select(
    renderCompletenessQuery(target, { from: lastMs - DAY_MS, to: lastMs + 1 }),
  );
  return analysisPeriod(
    {
      firstMs: Number(extent.first_ms),
      lastMs,
      intervalsMs: recent.map((row) => (row.interval_ms == null ? null : Number(row.interval_ms))),
    },
    { from, to },
  );
}

async function nothingInRange(store: ReadingStore, range: TimeRange): Promise<Error> {
  const [extent] = await store.select(renderDataExtentQuery(queryTarget(store)));
  const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
  const held =
    extent?.last_ms == null ? "none at all" : `${iso(extent.first_ms)} to ${iso(extent.last_ms)}`;
  return new Error(
    `No readings from ${iso(range.from)} to ${iso(range.to)}; the store holds ${held}: choose --from/--to within that.`,
  );
}

export async function runAnalysis(options: AnalysisOptions): Promise<AnalysisResult> {
  const out = options.out ?? process.stdout;
  const range = await analysisRange(options.store, options.from, options.to);
  if (!range) {
    throw new Error(
      "The store holds no readings yet: send some (npm run simulate) and analyse again.",
    );
  }
  if (range.from >= range.to) {
    throw new Error(
      `Nothing to analyse from ${new Date(range.from).toISOString()} to ${new Date(range.to).toISOString()}: the start must be before the end (the default end is one reporting interval after the last reading).`,
    );
  }
  const fleet = await fleetPower(options.store, range);
  if (fleet.numRows() === 0) throw await nothingInRange(options.store, range);
  const turbineTable = await turbines(options.store, range);
  const projectOverTime = await projectPower(options.store, range);
  const projectTable = projects(turbineTable, projectOverTime);
  const provinceTable = provinces(projectTable);
  const { top, bottom } = topAndBottom(projectTable);
  const curve = await powerCurve(options.store, range);
  const completenessTable = await completeness(options.store, range);
  const registered = (await options.registry?.list()) ?? [];
  const wind =
    registered.length > 0
      ? await windSection(options.store, registered, range, options.gridEmissionFactorKgPerKwh)
      : null;
  const tables: Record<string, Table> = {
    ...wind?.tables,
    fleet_power: fleet,
    projects: projectTable,
    project_power: projectOverTime,
    provinces: provinceTable,
    top_projects: top,
    bottom_projects: bottom,
    power_curve: curve,
    completeness: completenessTable,
  };

  const powers = fleet.array("power_mw") as number[];
  const energy = (fleet.array("energy_mwh") as number[]).reduce((sum, e) => sum + e, 0);
  const rated =
    (projectTable.array("rated_kw") as (number | null)[]).reduce<number>(
      (sum, r) => sum + (r ?? 0),
      0,
    ) / 1000;
  const meanMw = powers.length ? powers.reduce((s, p) => s + p, 0) / powers.length : 0;
  const headline = [
    `${projectTable.numRows()} projects, ${Math.round(rated).toLocaleString("en")} MW rated, ${new Date(range.from).toISOString()} to ${new Date(range.to).toISOString()}`,
    `fleet power: mean ${meanMw.toFixed(1)} MW, peak ${Math.max(0, ...powers).toFixed(1)} MW; energy ${energy.toFixed(1)} MWh; capacity factor ${rated > 0 ? ((meanMw / rated) * 100).toFixed(1) : "?"}%`,
  ];

  if (wind) headline.push(...wind.headline);

  out.write(`\n${headline.join("\n")}\n\n`);
  out.write(`${formatTable("Power per province", provinceTable, 12)}\n\n`);
  out.write(`${formatTable("Top projects by energy", top)}\n\n`);
  out.write(`${formatTable("Bottom projects by energy", bottom)}\n\n`);
  out.write(`${formatTable("Empirical power curve", curve, 30)}\n\n`);
  out.write(`${formatTable("Least complete turbines", completenessTable, 5)}\n`);
  for (const { title, table } of wind?.reportTables ?? []) {
    out.write(`\n${formatTable(title, table, 10)}\n`);
  }

  const result: AnalysisResult = {
    range,
    tables,
    headline,
    csvPaths: [],
    parquetPaths: [],
    pngPaths: [],
  };
  if (options.outDir) {
    const dir = resolve(options.outDir);
    mkdirSync(dir, { recursive: true });
    for (const [name, table] of Object.entries(tables)) {
      const path = join(dir, `${name}.csv`);
      writeFileSync(path, tableCsv(table));
      result.csvPaths.push(path);
    }
    if (options.parquet) {
      const writer = duckDbParquetWriter();
      for (const [name, table] of Object.entries(tables)) {
        const path = join(dir, `${name}.parquet`);
        const rows = table.objects();
        writeFileSync(path, await writer.write(inferColumns(table.columnNames(), rows), rows));
        result.parquetPaths.push(path);
      }
    }
    // Late gateways: trailing bins that only some turbines have reported yet stay out of the
    // charts over time (the tables keep them), and the fleet chart says so.
    const late = lateBins(fleet.objects() as FleetBin[]);
    const cutoff = late.cutoffMs;
    const drawn = (table: Table) =>
      cutoff === null
        ? table
        : table.filter(aq.escape((row: { time: string }) => new Date(row.time).getTime() < cutoff));
    const charts = await Promise.all([
      renderSvg(fleetPowerChart(drawn(fleet), lateBinsNote(late))).then((svg) => ({
        id: "fleet-power",
        svg,
      })),
      renderSvg(projectPowerChart(projectTable, drawn(projectOverTime))).then((svg) => ({
        id: "project-power",
        svg,
      })),
      renderSvg(projectMapChart(projectTable)).then((svg) => ({ id: "project-map", svg })),
      renderSvg(powerCurveChart(curve)).then((svg) => ({ id: "power-curve", svg })),
      ...(wind ? [windCharts(wind, registered)] : []),
    ]).then((all) => all.flat());
    for (const { id, svg } of charts) {
      const path = join(dir, `${id}.png`);
      writeFileSync(path, svgToPng(svg));
      result.pngPaths.push(path);
    }
    result.reportPath = join(dir, "report.html");
    writeFileSync(
      result.reportPath,
      renderReport({
        title: "gust: Dutch onshore wind",
        range,
        headline,
        charts,
        tables: [
          ...(wind?.reportTables ?? []),
          { title: "Power per province", table: provinceTable },
          { title: "Top projects by energy", table: top },
          { title: "Bottom projects by energy", table: bottom },
          { title: "Empirical power curve", table: curve, limit: 40 },
          {
            title: "Data completeness (least complete first)",
            table: completenessTable,
            limit: 20,
          },
        ],
      }),
    );
    out.write(
      `\nCSV: ${result.csvPaths.length} tables in ${dir}${result.parquetPaths.length ? ` (and as Parquet)` : ""}\ncharts: ${result.pngPaths.length} PNG files there\nreport: ${result.reportPath}\n`,
    );
  }
  return result;
}
