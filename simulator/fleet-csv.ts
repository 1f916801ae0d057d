// A real fleet from CSV (for example an export of windstats.nl), one project per line:
//
//   id,name,municipality,province,latitude,longitude,model,turbines,rated_kw,rotor_diameter_m,hub_height_m
//
// rated_kw is per turbine. Bad rows fail with the line number and what to fix.
import { readFileSync } from "node:fs";
import type { Project } from "./fleet.ts";

export const FLEET_CSV_COLUMNS = [
  "id",
  "name",
  "municipality",
  "province",
  "latitude",
  "longitude",
  "model",
  "turbines",
  "rated_kw",
  "rotor_diameter_m",
  "hub_height_m",
] as const;

/** Splits one CSV line; double quotes may enclose commas, "" is a quote. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      cells.push(cell);
      cell = "";
    } else cell += char;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

export function parseFleetCsv(text: string, source = "fleet CSV"): Project[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? "");
  const missing = FLEET_CSV_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new Error(
      `${source}:1: missing column(s) ${missing.join(", ")}; the header must name ${FLEET_CSV_COLUMNS.join(",")}`,
    );
  }
  const projects: Project[] = [];
  const seen = new Set<string>();
  lines.slice(1).forEach((line, offset) => {
    if (line.trim() === "") return;
    const at = `${source}:${offset + 2}`;
    const cells = splitCsvLine(line);
    const get = (column: (typeof FLEET_CSV_COLUMNS)[number]) => cells[header.indexOf(column)] ?? "";
    const number = (column: (typeof FLEET_CSV_COLUMNS)[number], min: number, max: number) => {
      const value = Number(get(column));
      if (get(column) === "" || !Number.isFinite(value) || value < min || value > max) {
        throw new Error(
          `${at}: ${column} must be a number from ${min} to ${max}, not "${get(column)}"`,
        );
      }
      return value;
    };
    const id = get("id");
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(id))
      throw new Error(`${at}: id "${id}" is not a turbine id (1-64 of A-Z a-z 0-9 . _ : -)`);
    if (seen.has(id)) throw new Error(`${at}: id "${id}" appears twice`);
    seen.add(id);
    for (const column of ["name", "municipality", "province", "model"] as const) {
      if (get(column) === "") throw new Error(`${at}: ${column} is empty`);
    }
    const turbines = number("turbines", 1, 500);
    if (!Number.isInteger(turbines))
      throw new Error(`${at}: turbines must be a whole number, not "${get("turbines")}"`);
    const hubHeightM = number("hub_height_m", 10, 250);
    projects.push({
      id,
      name: get("name"),
      municipality: get("municipality"),
      province: get("province"),
      latitude: number("latitude", 50.5, 53.7),
      longitude: number("longitude", 3.2, 7.3),
      model: {
        name: get("model"),
        ratedKw: number("rated_kw", 1, 20_000),
        rotorDiameterM: number("rotor_diameter_m", 5, 250),
        hubHeightM,
        cutInMs: 3,
        cutOutMs: 25,
      },
      turbines,
      hubHeightM,
    });
  });
  if (projects.length === 0) throw new Error(`${source}: no projects after the header`);
  return projects;
}

export function loadFleetCsv(path: string): Project[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read the fleet file ${path}: ${(error as Error).message}`);
  }
  return parseFleetCsv(text, path);
}
