// `npm run aep -- --energy FILE --reference FILE [--iterations N] [--seed N] [--json]`: the
// long-term corrected AEP with its Monte Carlo uncertainty (api/analyses/aep.ts) from two CSV
// files: the fleet's (or a project's) monthly energy as GET /v1/power?every=1mo&format=csv
// answers it, and a long-term wind reference (`time,wind_ms`, hourly or finer, ten years or more).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  AepInputError,
  DEFAULT_ITERATIONS,
  longTermAep,
  type MonthEnergy,
  type ReferenceWind,
} from "../api/analyses/aep.ts";

const HELP = `Usage: npm run aep -- --energy FILE --reference FILE [--iterations N] [--seed N] [--json]

  --energy FILE      monthly energy: the CSV of GET /v1/power?every=1mo&format=csv
                     (columns time, power_kw; by=none, or one group chosen with --group)
  --group NAME       with a grouped energy file (by=project, ...): the group to take
  --reference FILE   long-term wind: CSV with columns time (RFC 3339 or epoch ms) and wind_ms
                     (or wind_speed_ms), hourly or finer, whole calendar years (10-20 used)
  --iterations N     Monte Carlo iterations (default ${DEFAULT_ITERATIONS})
  --seed N           the sampling's seed (default 1: the same inputs give the same answer)
  --json             print the result as JSON

Prints P50 and P90 AEP (MWh/year), the uncertainty and its components (meter, regression,
long-term period), and the regression of monthly mean power on the reference's monthly mean
wind (OpenOA's MonteCarloAEP, simplified: docs/analyses.md).`;

function csv(path: string): Record<string, string>[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new AepInputError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = (header ?? "").split(",").map((n) => n.trim());
  return lines
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const cells = line.split(",");
      return Object.fromEntries(names.map((n, i) => [n, (cells[i] ?? "").trim()]));
    });
}

function time(text: string, where: string): number {
  const t = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) throw new AepInputError(`${where}: "${text}" is not a time`);
  return t;
}

function hoursOfMonth(month: string): number {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return (Date.UTC(y, m, 1) - Date.UTC(y, m - 1, 1)) / 3_600_000;
}

function main(): number {
  const { values } = parseArgs({
    options: {
      energy: { type: "string" },
      group: { type: "string" },
      reference: { type: "string" },
      iterations: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.energy || !values.reference) {
    console.error(`--energy and --reference are both needed.\n\n${HELP}`);
    return 2;
  }
  const months: MonthEnergy[] = csv(values.energy)
    .filter((row) => values.group === undefined || row.group === values.group)
    .map((row, i) => {
      const month = new Date(time(row.time ?? "", `${values.energy} row ${i + 2}`))
        .toISOString()
        .slice(0, 7);
      const hours = hoursOfMonth(month);
      const powerKw = Number(row.power_kw);
      if (!Number.isFinite(powerKw)) {
        throw new AepInputError(
          `${values.energy} row ${i + 2}: power_kw "${row.power_kw}" is not a number`,
        );
      }
      // /v1/power's power_kw is the month's mean power over the readings it has.
      return { month, energyMwh: (powerKw * hours) / 1000, hours };
    });
  const reference: ReferenceWind[] = csv(values.reference).map((row, i) => {
    const wind = Number(row.wind_ms ?? row.wind_speed_ms);
    if (!Number.isFinite(wind)) {
      throw new AepInputError(`${values.reference} row ${i + 2}: no wind_ms number`);
    }
    return { time: time(row.time ?? "", `${values.reference} row ${i + 2}`), windMs: wind };
  });
  const result = longTermAep(months, reference, {
    iterations: values.iterations === undefined ? undefined : Number(values.iterations),
    seed: values.seed === undefined ? undefined : Number(values.seed),
  });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const c = result.components_pct;
  console.log(
    [
      `AEP P50 ${result.p50_mwh.toLocaleString("en")} MWh/year, P90 ${result.p90_mwh.toLocaleString("en")} MWh/year`,
      `uncertainty ${result.uncertainty_pct}% (meter ${c.meter}%, regression ${c.regression}%, long-term period ${c.long_term}%), ${result.iterations.toLocaleString("en")} iterations`,
      `regression over ${result.months} months: mean power = ${result.intercept_mw} MW + ${result.slope_mw_per_ms} MW per m/s x reference wind (r² ${result.r2}); reference: ${result.reference_years} whole years`,
    ].join("\n"),
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  if (!(error instanceof AepInputError)) throw error;
  console.error(`npm run aep: ${error.message}`);
  process.exitCode = 2;
}
