// `npm run keys -- <turbine_id>`, `npm run keys -- --role operator|reader`: prints one API key, of
// its current generation. `npm run keys -- --rotate <turbine_id>|operator|reader` rotates it first.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type Role, roleKey, turbineKey } from "./auth/keys.ts";
import { loadLocalSecret } from "./auth/secret.ts";
import { type LocalConfig, readLocalConfig } from "./config.ts";
import { TurbineIdSchema } from "./readings/schema.ts";
import { openDuckDbRegistry } from "./registry/duckdb-registry.ts";

const USAGE = `Usage:
  npm run keys -- <turbine_id>          the key of one turbine (writes and reads only that turbine)
  npm run keys -- --role operator       the operator key (writes and reads every turbine)
  npm run keys -- --role reader         the reader key (reads every turbine, writes nothing)
  npm run keys -- --rotate <turbine_id> a registered turbine's next key; earlier ones stop working
  npm run keys -- --rotate operator     the next operator key (or reader); earlier ones stop working

The secret is API_KEY_SECRET, else DATA_DIR/api-key-secret (default ./data), created on first use.
Keys have generations (a rotation makes the next one); the current ones are read from the
registry in DATA_DIR/gust.duckdb or, while a server holds that file, from the server at HOST:PORT.`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

type Subject = { turbineId: string } | { role: Role };

interface Generations {
  current(subject: Subject): Promise<number>;
  rotate(subject: Subject): Promise<number>;
  close(): Promise<void>;
}

/** The registry in the file itself, when no server holds it (read-only unless rotating). */
async function fromFile(file: string, write: boolean): Promise<Generations | null> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, write ? {} : { access_mode: "READ_ONLY" });
  } catch {
    return null; // a running server holds the file
  }
  const connection = await instance.connect();
  const close = async () => {
    connection.closeSync();
    instance.closeSync();
  };
  if (!write) {
    // Read-only: the tables as they are (a file of an older release may lack key_generations,
    // or the registry altogether: then every generation is 1).
    const tables = new Set(
      (
        await connection.runAndReadAll(
          "SELECT table_name FROM information_schema.tables WHERE table_name IN ('turbines', 'key_generations')",
        )
      )
        .getRows()
        .map(([name]) => String(name)),
    );
    const generationOf = async (sql: string, values: Record<string, string>) =>
      Number((await connection.runAndReadAll(sql, values)).getRows()[0]?.[0] ?? 1);
    return {
      current: async (subject) => {
        const kind = "role" in subject ? "role" : "turbine";
        const name = "role" in subject ? subject.role : subject.turbineId;
        if (kind === "turbine" && tables.has("turbines")) {
          const registered = await generationOf(
            "SELECT key_generation FROM turbines WHERE turbine_id = $id",
            { id: name },
          );
          if (registered !== 1 || !tables.has("key_generations")) return registered;
        }
        if (!tables.has("key_generations")) return 1;
        return generationOf(
          "SELECT key_generation FROM key_generations WHERE kind = $kind AND subject = $name",
          { kind, name },
        );
      },
      rotate: () => Promise.reject(new Error("the file was opened read-only")),
      close,
    };
  }
  const registry = await openDuckDbRegistry(connection);
  return {
    current: (subject) =>
      "role" in subject
        ? registry.roleKeyGeneration(subject.role)
        : registry.keyGeneration(subject.turbineId),
    rotate: async (subject) => {
      if ("role" in subject) return registry.rotateRoleKey(subject.role);
      const rotated = await registry.rotateKey(subject.turbineId);
      if (!rotated)
        fail(
          `turbine "${subject.turbineId}" is not registered, so its key cannot be rotated: register it first (PUT /v1/turbines/${subject.turbineId}).`,
        );
      return rotated.key_generation;
    },
    close: async () => {
      await registry.close();
      await close();
    },
  };
}

/** The running server's registry, through its API with the operator key. */
function fromServer(config: LocalConfig, secret: string): Generations {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const base = `http://${host}:${config.port}`;
  let operatorGeneration = 1;
  async function call(path: string, method = "GET"): Promise<Record<string, unknown>> {
    const url = `${base}${path}`;
    for (;;) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${roleKey(secret, "operator", operatorGeneration)}`,
          },
        });
      } catch {
        fail(
          `${config.dataDir}/gust.duckdb is held by another process and no gust server answers at ${base}: start the server (npm run serve) with the same DATA_DIR, HOST and PORT, or stop the other process.`,
        );
      }
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      // The operator key was rotated: the answer names the current generation.
      const current = body.current_key_generation;
      if (
        response.status === 401 &&
        typeof current === "number" &&
        current !== operatorGeneration
      ) {
        operatorGeneration = current;
        continue;
      }
      if (!response.ok)
        fail(`the server at ${url} answered ${response.status}: ${JSON.stringify(body)}`);
      return body;
    }
  }
  return {
    current: async (subject) => {
      const query =
        "turbineId" in subject ? `?turbine_id=${encodeURIComponent(subject.turbineId)}` : "";
      const body = await call(`/v1/keys/generations${query}`);
      if ("role" in subject) return Number(body[subject.role]);
      return Number((body.turbine as { key_generation: number }).key_generation);
    },
    rotate: async (subject) => {
      const path =
        "role" in subject
          ? `/v1/keys/${subject.role}/rotate`
          : `/v1/turbines/${encodeURIComponent(subject.turbineId)}/keys/rotate`;
      return Number((await call(path, "POST")).key_generation);
    },
    close: async () => undefined,
  };
}

function subjectOf(text: string): Subject {
  if (text === "operator" || text === "reader") return { role: text };
  const parsed = TurbineIdSchema.safeParse(text);
  if (!parsed.success) fail(`"${text}" is not a turbine id: ${parsed.error.issues[0]?.message}.`);
  return { turbineId: text };
}

const args = process.argv.slice(2);
if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(args.length === 0 ? 2 : 0);
}
const config = readLocalConfig();
const secret = loadLocalSecret(process.env, config.dataDir);
let subject: Subject;
const rotate = args[0] === "--rotate";
if (args[0] === "--role") {
  const role = args[1];
  if (role !== "operator" && role !== "reader")
    fail(`--role must be operator or reader, not "${role ?? ""}".`);
  subject = { role };
} else if (rotate) {
  if (!args[1]) fail("--rotate needs a turbine id, operator or reader.");
  subject = subjectOf(args[1]);
} else {
  subject = subjectOf(args[0] ?? "");
  if ("role" in subject) subject = { turbineId: args[0] ?? "" };
}
const file = join(config.dataDir, "gust.duckdb");
if (rotate && !existsSync(file))
  fail(
    `there is no ${file} to keep the rotation in: start the server once (npm run serve) with this DATA_DIR.`,
  );
// No file yet: nothing was rotated, every key is of generation 1.
const generations: Generations = existsSync(file)
  ? ((await fromFile(file, rotate)) ?? fromServer(config, secret))
  : { current: async () => 1, rotate: async () => 1, close: async () => undefined };
try {
  const generation = rotate
    ? await generations.rotate(subject)
    : await generations.current(subject);
  console.log(
    "role" in subject
      ? roleKey(secret, subject.role, generation)
      : turbineKey(secret, subject.turbineId, generation),
  );
  if (rotate) {
    const what =
      "role" in subject ? `the ${subject.role} key` : `the key of turbine ${subject.turbineId}`;
    console.error(`${what} is now generation ${generation}; earlier keys are refused.`);
  }
} finally {
  await generations.close();
}
