// `npm run serve -- [flags]`: the local API on the embedded store (or readings in InfluxDB with
// STORE=influxdb), until Ctrl-C. See --help.
import { parseArgs } from "node:util";
import { type LocalConfig, readLocalConfig } from "./config.ts";
import { startLocalServer } from "./server.ts";
import { openInfluxDbStoreFromEnv } from "./store/influxdb-env.ts";

const HELP = `gust API server: the HTTP API on a local DuckDB file, until Ctrl-C.

Usage: npm run serve -- [flags]

  --port N          TCP port (default 3000, or PORT); 0 picks a free one and prints it
  --host ADDRESS    address to listen on (default 127.0.0.1, or HOST); 0.0.0.0 for every interface
  --data-dir DIR    where the DuckDB file, the ingest log and the key secret live
                    (default ./data, or DATA_DIR)
  --help            this text

Environment: STORE=duckdb|influxdb (INFLUXDB_URL, INFLUXDB_DATABASE), API_KEY_SECRET,
WRITE_WINDOW_DAYS (default 7), REQUIRE_REGISTERED=true. A flag wins over its variable.`;

/** The configuration from the environment, with the command line's flags over it. */
function configFromCommandLine(): LocalConfig | undefined {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return undefined;
  }
  // The flags go through the same checks as their variables, so the errors read the same.
  const env = { ...process.env };
  if (values.port !== undefined) env.PORT = values.port;
  if (values.host !== undefined) env.HOST = values.host;
  if (values["data-dir"] !== undefined) env.DATA_DIR = values["data-dir"];
  try {
    return readLocalConfig(env);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(
      values.port !== undefined && message.startsWith("PORT ")
        ? message.replace("PORT ", "--port ")
        : message,
    );
  }
}

let config: LocalConfig;
try {
  const parsed = configFromCommandLine();
  if (!parsed) process.exit(0);
  config = parsed;
} catch (error) {
  console.error(`gust: ${(error as Error).message}\nSee npm run serve -- --help`);
  process.exit(2);
}
// Every file this process creates (DuckDB's own WAL too) is readable by this user only.
process.umask(0o077);
if (config.store === "timestream") {
  console.error(
    "npm run serve runs on the embedded DuckDB store or STORE=influxdb; STORE=timestream runs on Lambda (see docs/aws.md).",
  );
  process.exit(2);
}
try {
  const influx =
    config.store === "influxdb" ? await openInfluxDbStoreFromEnv(process.env) : undefined;
  if (influx) await influx.ping();
  const server = await startLocalServer({
    dataDir: config.dataDir,
    port: config.port,
    host: config.host,
    writeWindowDays: config.writeWindowDays,
    ...(influx ? { readingStore: influx } : {}),
    requireRegistered: config.requireRegistered,
    ...(config.mqttPort === undefined ? {} : { mqttPort: config.mqttPort }),
    ...(config.mqttWsPort === undefined ? {} : { mqttWsPort: config.mqttWsPort }),
    ...(config.mqttBroker ? { mqttBroker: config.mqttBroker } : {}),
  });
  console.log(
    influx
      ? `gust API on ${server.url} (readings: influxdb ${process.env.INFLUXDB_URL} database ${process.env.INFLUXDB_DATABASE}; registry and keys in ${config.dataDir})`
      : `gust API on ${server.url} (store: duckdb in ${config.dataDir})`,
  );
  if (server.migration) {
    console.log(
      `  migrated: ${server.migration.readings.toLocaleString("en")} readings of ${server.migration.turbines.toLocaleString("en")} turbines from ${server.migration.from} to the keyed layout (a turbine key per reading, a column per measure), in place; ${server.registeredFromTags.toLocaleString("en")} turbines registered from their latest reading tags (npm run fleet -- list)`,
    );
  }
  const status = server.statusConversion;
  if (status && "kept" in status) {
    console.log(
      `  note: reading statuses stay stored as text, which writes slower than gust's own type: ${status.kept}`,
    );
  } else if (status && status.readings > 0) {
    console.log(
      `  migrated: the status of ${status.readings.toLocaleString("en")} readings is now stored as one byte (a DuckDB ENUM) instead of text, in place; writes are faster`,
    );
  }
  if (server.recoveredReadings > 0) {
    console.log(
      `  recovered: ${server.recoveredReadings.toLocaleString("en")} acknowledged readings that a stopped server left in the ingest log are now in the DuckDB file`,
    );
  }
  if (config.requireRegistered) {
    console.log("  REQUIRE_REGISTERED: readings of unregistered turbines are refused (403)");
  }
  for (const problem of server.recovery.problems) {
    const what =
      problem.kind === "torn"
        ? "not acknowledged, skipped"
        : problem.kind === "lost"
          ? "LOST: acknowledged readings that cannot be read (the line is in the quarantine file)"
          : "refused: set aside in the quarantine file";
    console.log(`  ingest log ${problem.file} line ${problem.line}: ${what}: ${problem.reason}`);
  }
  if (server.recovery.quarantined > 0) {
    console.log(
      `  quarantined: ${server.recovery.quarantined} recovered readings the DuckDB file refused (see ${config.dataDir}/gust.duckdb.quarantine.jsonl)`,
    );
  }
  if (server.mqtt) {
    console.log(
      `  mqtt:  ${server.mqtt.url} (publish readings to gust/v1/turbines/<id>/readings; docs/mqtt.md)`,
    );
  }
  if (server.mqtt?.wsUrl) {
    console.log(`  mqtt:  ${server.mqtt.wsUrl} (MQTT over WebSockets, the same broker)`);
  }
  if (config.mqttBroker) {
    console.log(
      `  mqtt:  subscribed to ${config.mqttBroker.url} as ${config.mqttBroker.clientId} (gust/v1/turbines/+/readings; docs/mqtt.md)`,
    );
  }
  console.log(`  docs:  ${server.url}/docs`);
  console.log("  keys:  npm run keys -- <turbine_id>  |  npm run keys -- --role operator|reader");
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`\n${signal}: finishing in-flight requests and closing the store...`);
    await server.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
} catch (error) {
  console.error(`gust: cannot start: ${(error as Error).message}`);
  if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    console.error(
      `  port ${config.port} on ${config.host} is taken (another npm run serve?): stop that process, or pick another port: npm run serve -- --port ${config.port + 1} (--port 0 picks a free one)`,
    );
  }
  process.exit(1);
}
