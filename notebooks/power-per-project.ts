// Notebook: the original experiment, redone on stored readings. Copy this file and change it.
//
// The experiment took every reading of the past 24 hours into pandas, summed them into the total
// Dutch wind power, and drew the power of each project. Here the same steps run on the store
// (DuckDB under DATA_DIR, or Timestream with STORE=timestream) into Arquero tables.
//
//   npx tsx notebooks/power-per-project.ts [--from TIME] [--to TIME] [--out DIR]
//
// Stop `npm run serve` first: DuckDB lets one process open its file.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as aq from "arquero";
import { tableCsv } from "../api/csv.ts";
import { systemClock } from "../api/time/clock.ts";
import { parseTimeFlag } from "../api/time/time-words.ts";
import { fleetPowerChart, projectPowerChart, renderSvg } from "./lib/charts.ts";
import { formatTable } from "./lib/print.ts";
import { renderReport } from "./lib/report.ts";
import { analysisRange } from "./lib/run-analysis.ts";
import { openAnalysisStore } from "./lib/store.ts";
import { fleetPower, projectPower, projects, turbines } from "./lib/tables.ts";

// A failure prints what to do next, not a stack trace.
process.on("uncaughtException", (error) => {
  console.error(`power-per-project: ${error.message}`);
  process.exit(1);
});

const { values: flags } = parseArgs({
  options: { from: { type: "string" }, to: { type: "string" }, out: { type: "string" } },
});
const now = systemClock.now();
const from = flags.from === undefined ? undefined : parseTimeFlag(flags.from, "--from", now);
const to = flags.to === undefined ? undefined : parseTimeFlag(flags.to, "--to", now);
const outDir = resolve(flags.out ?? "reports/power-per-project");

const store = await openAnalysisStore();
try {
  // 1. The range: as given, else the 24 hours up to the last stored reading.
  const range = await analysisRange(store, from, to);
  if (!range) throw new Error("The store holds no readings yet: run npm run simulate first.");
  console.log(`${new Date(range.from).toISOString()} to ${new Date(range.to).toISOString()}`);

  // 2. Total Dutch wind power per 15 minutes. Each turbine's mean power within a bin, summed:
  //    a turbine reporting twice as often does not count twice (pandas' plain sum would).
  const fleet = await fleetPower(store, range, "15m");
  console.log(formatTable("Total power (MW)", fleet, 8));

  // 3. Power per project over time: each turbine's mean power per bin, added up per project (a
  //    turbine without a registered project is its own project). One row per project and bin.
  const turbineTable = await turbines(store, range);
  const perProject = await projectPower(store, range, "15m");

  // 4. Shape it with Arquero: each project's mean, peak and energy, and its share of the fleet.
  const fleetEnergy = aq.agg(fleet, aq.op.sum("energy_mwh")) as number;
  const summary = perProject
    .groupby("project")
    .rollup({
      mean_mw: aq.op.mean("power_mw"),
      peak_mw: aq.op.max("power_mw"),
      energy_mwh: aq.op.sum("energy_mwh"),
    })
    .params({ fleetEnergy })
    .derive({
      share_pct: (d: { energy_mwh: number }, $: { fleetEnergy: number }) =>
        aq.op.round((1000 * d.energy_mwh) / $.fleetEnergy) / 10,
    })
    .orderby(aq.desc("energy_mwh"));
  console.log(formatTable("Power per project", summary, 10));

  // 5. The pictures, and the tables as CSV, in one self-contained page (no network needed).
  const projectTable = projects(turbineTable, perProject);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "power_per_project.csv"), tableCsv(perProject));
  writeFileSync(
    join(outDir, "report.html"),
    renderReport({
      title: "Power per project",
      range,
      headline: [`${summary.numRows()} projects, ${fleetEnergy.toFixed(1)} MWh in the range`],
      charts: [
        { id: "fleet-power", svg: await renderSvg(fleetPowerChart(fleet)) },
        { id: "project-power", svg: await renderSvg(projectPowerChart(projectTable, perProject)) },
      ],
      tables: [{ title: "Power per project", table: summary }],
    }),
  );
  console.log(`\nreport: ${join(outDir, "report.html")}`);
} finally {
  await store.close();
}
