// `npm run keys -- <turbine_id>` or `npm run keys -- --role operator|reader`: prints one API key.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { roleKey, turbineKey } from "./auth/keys.ts";
import { loadLocalSecret } from "./auth/secret.ts";
import { type LocalConfig, readLocalConfig } from "./config.ts";
import { TurbineIdSchema } from "./readings/schema.ts";

const USAGE = `Usage:
  npm run keys -- <turbine_id>          the key of one turbine (writes and reads only that turbine)
  npm run keys -- --role operator       the operator key (writes and reads every turbine)
  npm run keys -- --role reader         the reader key (reads every turbine, writes nothing)

The secret is API_KEY_SECRET, else DATA_DIR/api-key-secret (default ./data), created on first use.
A registered turbine's key is that of its current key generation (POST /v1/turbines/ID/keys/rotate
makes a new one): read from the registry in DATA_DIR/gust.duckdb, or, while a server holds that
file, from the server at HOST:PORT.`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

/** The turbine's key generation: 1 unless the registry holds a rotated one. */
async function currentKeyGeneration(turbineId: string): Promise<number> {
  const config = readLocalConfig();
  const file = join(config.dataDir, "gust.duckdb");
  if (!existsSync(file)) return 1;
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  } catch {
    // A running server holds the file: ask it.
    return generationFromServer(config, turbineId);
  }
  try {
    const connection = await instance.connect();
    const tables = await connection.runAndReadAll(
      "SELECT 1 FROM information_schema.tables WHERE table_name = 'turbines'",
    );
    if (tables.getRows().length === 0) return 1;
    const rows = await connection.runAndReadAll(
      "SELECT key_generation FROM turbines WHERE turbine_id = $id",
      { id: turbineId },
    );
    const generation = rows.getRowObjectsJS()[0]?.key_generation;
    connection.closeSync();
    return generation === undefined ? 1 : Number(generation);
  } finally {
    instance.closeSync();
  }
}

async function generationFromServer(config: LocalConfig, turbineId: string): Promise<number> {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${config.port}/v1/turbines/${encodeURIComponent(turbineId)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${roleKey(secret, "operator")}` },
    });
  } catch {
    fail(
      `${config.dataDir}/gust.duckdb is held by another process and no gust server answers at ${url}: start the server (npm run serve) with the same DATA_DIR, HOST and PORT, or stop the other process.`,
    );
  }
  if (response.status === 404) return 1;
  if (!response.ok)
    fail(`the server at ${url} answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { key_generation?: number };
  return body.key_generation ?? 1;
}

const args = process.argv.slice(2);
if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(args.length === 0 ? 2 : 0);
}
const secret = loadLocalSecret(process.env, readLocalConfig().dataDir);
if (args[0] === "--role") {
  const role = args[1];
  if (role !== "operator" && role !== "reader")
    fail(`--role must be operator or reader, not "${role ?? ""}".`);
  console.log(roleKey(secret, role));
} else {
  const turbineId = args[0] ?? "";
  const parsed = TurbineIdSchema.safeParse(turbineId);
  if (!parsed.success)
    fail(`"${turbineId}" is not a turbine id: ${parsed.error.issues[0]?.message}.`);
  console.log(turbineKey(secret, turbineId, await currentKeyGeneration(turbineId)));
}
