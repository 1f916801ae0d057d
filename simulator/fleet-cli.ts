// `npm run fleet -- import FILE.csv | export [--out FILE] | list [filters]`: the fleet registry
// of a gust API, from the fleet CSV the simulator reads (simulator/fleet-csv.ts).
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { roleKey } from "../api/auth/keys.ts";
import { existingLocalSecret } from "../api/auth/secret.ts";
import { toCsv } from "../api/csv.ts";
import { FLEET_CSV_COLUMNS, loadRegistryCsv } from "./fleet-csv.ts";
import { type ListedTurbine, listFleet, putFleet, RegistryRequestError } from "./fleet-registry.ts";

const HELP = `Usage: npm run fleet -- <command> [flags]

  import FILE.csv       register (create or replace) every project of a fleet CSV, 1000 per
                        request, each request all or nothing; a re-run changes nothing
  export [--out FILE]   the registered fleet as a fleet CSV (stdout without --out)
  list                  the turbines the API knows, registered or only seen, with their status
      --project P  --model M  --status S  --tag name=value (repeatable)  --unregistered

  --target URL          the API (default http://127.0.0.1:3000, or GUST_TARGET)
  --key KEY             the operator key (list and export also take the reader key)
  --key-secret S        derive the operator key from the secret
                        (default: API_KEY_SECRET, else ./data/api-key-secret of a local API)

The fleet CSV's header: ${FLEET_CSV_COLUMNS.join(",")}
(rated_kw per turbine; the registry stores the project's total and the turbine count as tag
"turbines", as the simulator sends one reading per project).`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: "string" },
      key: { type: "string" },
      "key-secret": { type: "string" },
      out: { type: "string" },
      project: { type: "string" },
      model: { type: "string" },
      status: { type: "string" },
      tag: { type: "string", multiple: true },
      unregistered: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, file, ...rest] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const target = values.target ?? process.env.GUST_TARGET ?? "http://127.0.0.1:3000";
  const key = () => {
    if (values.key) return values.key;
    const secret = values["key-secret"] ?? (process.env.API_KEY_SECRET || existingLocalSecret());
    if (!secret) {
      throw new Error(
        "No key: pass --key with the operator key, or --key-secret (or set API_KEY_SECRET) to derive it.",
      );
    }
    return roleKey(secret, "operator");
  };

  if (command === "import") {
    if (!file || rest.length > 0)
      throw new Error("import takes one file: npm run fleet -- import FILE.csv");
    const entries = loadRegistryCsv(file);
    console.error(`gust fleet: importing ${entries.length} projects from ${file} into ${target}`);
    try {
      const result = await putFleet(target, key(), entries, (done, total) =>
        console.error(`  ${done}/${total} registered`),
      );
      console.log(
        `imported ${entries.length} projects: ${result.created} created, ${result.replaced} replaced, ${result.unchanged} unchanged`,
      );
      return 0;
    } catch (error) {
      if (error instanceof RegistryRequestError && error.problem?.errors) {
        // Each error names its entry: say which project (row) of the file it is.
        console.error(`gust fleet: the API refused the import: ${error.problem.detail ?? ""}`);
        for (const e of error.problem.errors) {
          const entry = e.index === undefined ? undefined : entries[e.index];
          const where = entry ? `project ${entry.turbine_id} (entry ${e.index})` : "request";
          console.error(
            `  ${where}: ${e.pointer.replace(/^\/turbines\/\d+/, "") || "/"}: ${e.detail}`,
          );
        }
        return 1;
      }
      throw error;
    }
  }

  if (command === "export") {
    const turbines = await listFleet(target, key(), { registered: "true" }, (n) =>
      console.error(`  ${n} turbines read`),
    );
    const csv = toCsv(FLEET_CSV_COLUMNS, turbines.map(csvRow));
    if (values.out) {
      writeFileSync(values.out, csv);
      console.error(`gust fleet: ${turbines.length} turbines written to ${values.out}`);
    } else process.stdout.write(csv);
    return 0;
  }

  if (command === "list") {
    const query: Record<string, string> = {};
    if (values.project) query.project = values.project;
    if (values.model) query.model = values.model;
    if (values.status) query.status = values.status;
    if (values.unregistered) query.registered = "false";
    for (const pair of values.tag ?? []) {
      const at = pair.indexOf("=");
      if (at < 1) throw new Error(`--tag takes name=value, not "${pair}"`);
      query[`tag.${pair.slice(0, at)}`] = pair.slice(at + 1);
    }
    const turbines = await listFleet(target, key(), query);
    console.log(formatList(turbines));
    return 0;
  }
  throw new Error(`unknown command "${command}": use import, export or list`);
}

/** A registry entry as a fleet CSV row (rated_kw back to per turbine). */
function csvRow(t: ListedTurbine): Record<string, string | number | null> {
  const turbines = Number(t.tags.turbines ?? 1) || 1;
  return {
    id: t.turbine_id,
    name: t.name ?? t.project,
    municipality: t.tags.municipality ?? null,
    province: t.tags.province ?? null,
    latitude: t.latitude,
    longitude: t.longitude,
    model: t.model,
    // Empty when the registry has no count, so that import gives back the same entry.
    turbines: t.tags.turbines === undefined ? null : turbines,
    rated_kw: t.rated_kw / turbines,
    rotor_diameter_m: t.rotor_diameter_m,
    hub_height_m: t.hub_height_m,
  };
}

function formatList(turbines: readonly ListedTurbine[]): string {
  const rows = turbines.map((t) => [
    t.turbine_id,
    t.registered ? (t.project ?? "") : "(unregistered)",
    t.model ?? "",
    t.rated_kw === null ? "" : String(t.rated_kw),
    t.status ?? "",
    t.last_seen ?? "never",
    String(t.readings_24h),
  ]);
  const header = ["turbine_id", "project", "model", "rated_kw", "status", "last_seen", "24h"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line), `${turbines.length} turbines`].join("\n");
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`gust fleet: ${error.message}\nSee npm run fleet -- --help`);
    process.exit(1);
  },
);
