// `npm start`: the whole system on one laptop. Starts the API on the embedded store, replays the
// Dutch fleet over the last hours through HTTP with live progress, proves every acknowledged
// reading was stored exactly once, runs the analysis, and leaves the API up for /docs.
// Ctrl-C at any moment stops everything cleanly.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { roleKey } from "../api/auth/keys.ts";
import { readLocalConfig } from "../api/config.ts";
import { type LocalServer, startLocalServer } from "../api/server.ts";
import { systemClock } from "../api/time/clock.ts";
import { runAnalysis } from "../notebooks/lib/run-analysis.ts";
import { describeReport, runSimulation } from "./run.ts";

const HELP = `Usage: npm start -- [--projects N] [--hours H] [--step SECONDS] [--exit]

  --projects N     projects of the Dutch fleet to replay (default 770: all)
  --hours H        how many hours before now to replay (default 6)
  --step SECONDS   time between a project's readings (default 60)
  --exit           stop the API when done instead of keeping it up
  --out DIR        where the CSVs and the HTML report go (default reports/latest)

Environment: PORT (3000; 0 picks a free port), HOST, DATA_DIR (./data), API_KEY_SECRET.`;

const { values } = parseArgs({
  options: {
    projects: { type: "string" },
    hours: { type: "string" },
    step: { type: "string" },
    exit: { type: "boolean" },
    out: { type: "string" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    console.error(`${flag} must be a positive number, not "${value}"\n\n${HELP}`);
    process.exit(2);
  }
  return number;
}

const config = readLocalConfig();
const projects = positive(values.projects, "--projects", 770);
const hours = positive(values.hours, "--hours", 6);
const stepMs = positive(values.step, "--step", 60) * 1000;
const controller = new AbortController();
let server: LocalServer | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
  stopping = true;
  controller.abort();
  await server?.close();
  process.exit(code);
}
process.on("SIGINT", () => {
  if (stopping) process.exit(130);
  console.log("\nCtrl-C: stopping the simulator and the API, closing the store...");
  void stop(130);
});
process.on("SIGTERM", () => void stop(143));

function step(title: string): void {
  console.log(`\n== ${title}`);
}

try {
  step("1/4 API");
  try {
    server = await startLocalServer({
      dataDir: config.dataDir,
      port: config.port,
      host: config.host,
      writeWindowDays: config.writeWindowDays,
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") {
      throw new Error(
        `port ${config.port} is in use: is \`npm run serve\` running? Stop it, or run with PORT=0.`,
      );
    }
    throw error;
  }
  console.log(`gust API on ${server.url} (DuckDB in ${config.dataDir})`);
  console.log(
    `  watch the replay arrive: ${server.url}/live#key=${roleKey(server.keySecret, "reader")}`,
  );

  step(`2/4 replay: ${projects} projects, the last ${hours} h at ${stepMs / 1000} s steps`);
  const to = Math.floor(systemClock.now() / stepMs) * stepMs;
  const from = to - hours * 3_600_000;
  const report = await runSimulation({
    target: server.url,
    mode: "replay",
    turbines: projects,
    from,
    to,
    stepMs,
    keySecret: server.keySecret,
    verify: true,
    signal: controller.signal,
    out: process.stdout,
  });
  step("3/4 verification");
  console.log(describeReport(report));
  const verified = report.verification?.ok === true && report.readings.failed === 0;

  step("4/4 analysis");
  // The period replayed, exactly: its readings stand for [from, to), the last one up to `to`.
  const analysis = await runAnalysis({
    store: server.store,
    registry: server.registry,
    from,
    to,
    outDir: values.out ?? "reports/latest",
    out: process.stdout,
  });

  console.log(
    `\n${verified ? "OK" : "NOT OK"}: ${verified ? "every acknowledged reading is stored exactly once" : "see the verification above"}`,
  );
  console.log(
    `report:  ${analysis.reportPath ?? "(none)"}${analysis.reportPath && existsSync(analysis.reportPath) ? "" : " (missing!)"}`,
  );
  if (values.exit) await stop(verified ? 0 : 1);
  console.log(`\nThe API is still running on ${server.url} — explore it:`);
  console.log(`  docs:     ${server.url}/docs`);
  // The reader key rides in the URL fragment: browsers never send a fragment to any server.
  console.log(`  live:     ${server.url}/live#key=${roleKey(server.keySecret, "reader")}`);
  console.log(
    `  readings: curl -H "Authorization: Bearer ${roleKey(server.keySecret, "reader")}" ${server.url}/v1/turbines/nl-0001/measurements?limit=5`,
  );
  console.log(
    `  power:    curl -H "Authorization: Bearer $(npm run -s keys -- --role reader)" "${server.url}/v1/power?every=15m&by=province&format=csv"`,
  );
  console.log("Ctrl-C stops it.");
} catch (error) {
  if (!stopping) {
    console.error(`\ngust: ${(error as Error).message}`);
    await stop(1);
  }
}
