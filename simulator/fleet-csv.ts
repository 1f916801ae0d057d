// A real fleet from CSV (for example an export of windstats.nl), one project per line:
//
//   id,name,municipality,province,latitude,longitude,model,turbines,rated_kw,rotor_diameter_m,hub_height_m
//
// rated_kw is per turbine. Bad rows fail with the line number and what to fix.
import { readFileSync } from "node:fs";
import type { Project } from "./fleet.ts";
import type { TurbineEntryJson } from "./fleet-registry.ts";

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

/** A fleet file's text, or an error that names the file and why it cannot be read. */
function readFleetFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read the fleet file ${path}: ${(error as Error).message}`);
  }
}

export function loadFleetCsv(path: string): Project[] {
  return parseFleetCsv(readFleetFile(path), path);
}

/**
 * The registry entries of a fleet CSV, for `npm run fleet -- import`. Unlike the simulator's
 * fleet, a registry entry needs only its id and rated_kw: an empty cell is a field the turbine
 * does not have (as `export` writes a turbine registered with rated_kw alone), and the API checks
 * the ranges. A complete row gives the entry the simulator provisions for that project.
 */
export function registryEntriesFromCsv(text: string, source = "fleet CSV"): TurbineEntryJson[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? "");
  const missing = ["id", "rated_kw"].filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new Error(
      `${source}:1: missing column(s) ${missing.join(", ")}; the header names ${FLEET_CSV_COLUMNS.join(",")} (only id and rated_kw need a value)`,
    );
  }
  const entries: TurbineEntryJson[] = [];
  const seen = new Set<string>();
  lines.slice(1).forEach((line, offset) => {
    if (line.trim() === "") return;
    const at = `${source}:${offset + 2}`;
    const cells = splitCsvLine(line);
    const get = (column: (typeof FLEET_CSV_COLUMNS)[number]) =>
      header.includes(column) ? (cells[header.indexOf(column)] ?? "") : "";
    const number = (column: (typeof FLEET_CSV_COLUMNS)[number]) => {
      if (get(column) === "") return undefined;
      const value = Number(get(column));
      if (!Number.isFinite(value)) {
        throw new Error(`${at}: ${column} must be a number or empty, not "${get(column)}"`);
      }
      return value;
    };
    const id = get("id");
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(id))
      throw new Error(`${at}: id "${id}" is not a turbine id (1-64 of A-Z a-z 0-9 . _ : -)`);
    if (seen.has(id)) throw new Error(`${at}: id "${id}" appears twice`);
    seen.add(id);
    const ratedKw = number("rated_kw");
    if (ratedKw === undefined || ratedKw <= 0) {
      throw new Error(
        `${at}: rated_kw must be a number greater than 0 (kW per turbine), not "${get("rated_kw")}"`,
      );
    }
    const count = number("turbines");
    if (count !== undefined && (!Number.isInteger(count) || count < 1))
      throw new Error(`${at}: turbines must be a whole number from 1, not "${get("turbines")}"`);
    const tags: Record<string, string> = {};
    for (const column of ["municipality", "province"] as const) {
      if (get(column) !== "") tags[column] = get(column);
    }
    if (count !== undefined) tags.turbines = String(count);
    entries.push({
      turbine_id: id,
      name: get("name") || null,
      project: get("name") || null,
      model: get("model") || null,
      rated_kw: ratedKw * (count ?? 1),
      hub_height_m: number("hub_height_m") ?? null,
      rotor_diameter_m: number("rotor_diameter_m") ?? null,
      latitude: number("latitude") ?? null,
      longitude: number("longitude") ?? null,
      tags,
    });
  });
  if (entries.length === 0) throw new Error(`${source}: no turbines after the header`);
  return entries;
}

export function loadRegistryCsv(path: string): TurbineEntryJson[] {
  return registryEntriesFromCsv(readFleetFile(path), path);
}
