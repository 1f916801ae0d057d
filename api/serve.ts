// `npm run serve`: the local API on the embedded store (or readings in InfluxDB with
// STORE=influxdb), until Ctrl-C.
import { readLocalConfig } from "./config.ts";
import { startLocalServer } from "./server.ts";
import { openInfluxDbStoreFromEnv } from "./store/influxdb-env.ts";

// Every file this process creates (DuckDB's own WAL too) is readable by this user only.
process.umask(0o077);
const config = readLocalConfig();
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
  process.exit(1);
}
