// `npm run keys -- <turbine_id>` or `npm run keys -- --role operator|reader`: prints one API key.
import { roleKey, turbineKey } from "./auth/keys.ts";
import { loadLocalSecret } from "./auth/secret.ts";
import { readLocalConfig } from "./config.ts";
import { TurbineIdSchema } from "./readings/schema.ts";

const USAGE = `Usage:
  npm run keys -- <turbine_id>          the key of one turbine (writes and reads only that turbine)
  npm run keys -- --role operator       the operator key (writes and reads every turbine)
  npm run keys -- --role reader         the reader key (reads every turbine, writes nothing)

The secret is API_KEY_SECRET, else DATA_DIR/api-key-secret (default ./data), created on first use.`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
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
  console.log(turbineKey(secret, turbineId));
}
