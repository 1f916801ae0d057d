// KNMI hourly station data (replay): the "uurgeg" files of KNMI's Daggegevens service. Each
// project takes its nearest station. FH is the hourly mean wind in 0.1 m/s at 10 m, T the
// temperature in 0.1 °C, P the sea-level pressure in 0.1 hPa, HH the hour (1-24) ending at that
// time in UT. Station coordinates come from the file's header ("# STN  LON(east)  LAT(north) ...").
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Project } from "../fleet.ts";
import type { Weather, WeatherProvider } from "./provider.ts";

interface Station {
  id: string;
  latitude: number;
  longitude: number;
  /** Hour start (epoch ms) -> weather of that hour. */
  hours: Map<number, Weather | null>;
}

const HOUR = 3_600_000;

export function parseKnmiHourly(text: string, source: string): Station[] {
  const stations = new Map<string, Station>();
  let columns: string[] | null = null;
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const body = line.slice(1).trim();
      const station = body.match(/^(\d{3}):?\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(-?\d+\.\d+)\s+(.+)$/);
      if (station) {
        const [, id, lon, lat] = station;
        stations.set(id as string, {
          id: id as string,
          longitude: Number(lon),
          latitude: Number(lat),
          hours: new Map(),
        });
      } else if (body.startsWith("STN,")) {
        columns = body.split(",").map((c) => c.trim());
      }
      continue;
    }
    // The files open with a free-text preamble (BRON: ...) before the column header.
    if (!columns) continue;
    const cells = line.split(",").map((c) => c.trim());
    const get = (column: string) => cells[(columns as string[]).indexOf(column)] ?? "";
    const station = stations.get(get("STN"));
    if (!station)
      throw new Error(`${source}:${n + 1}: station ${get("STN")} is not described in the header`);
    const date = get("YYYYMMDD");
    const hourEnding = Number(get("HH"));
    const start = Date.UTC(
      Number(date.slice(0, 4)),
      Number(date.slice(4, 6)) - 1,
      Number(date.slice(6, 8)),
      hourEnding - 1,
    );
    const number = (column: string) => (get(column) === "" ? null : Number(get(column)) / 10);
    const wind = number("FH");
    const temperature = number("T");
    const pressure = number("P");
    station.hours.set(
      start,
      wind === null || temperature === null
        ? null
        : { windMs: wind, heightM: 10, temperatureC: temperature, pressureHpa: pressure ?? 1013 },
    );
  }
  return [...stations.values()].filter((s) => s.hours.size > 0);
}

export class KnmiWeather implements WeatherProvider {
  readonly name = "knmi";
  private readonly stations: Station[];
  private readonly nearest = new Map<string, Station>();

  /** `path`: one uurgeg file, or a directory of them. */
  constructor(path: string) {
    const files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith(".txt"))
          .map((f) => join(path, f))
      : [path];
    this.stations = files.flatMap((file) => parseKnmiHourly(readFileSync(file, "latin1"), file));
    if (this.stations.length === 0)
      throw new Error(`no KNMI hourly data in ${path}: expect uurgeg_*.txt files`);
  }

  private stationFor(project: Project): Station {
    let station = this.nearest.get(project.id);
    if (!station) {
      const distance = (s: Station) =>
        Math.hypot(
          s.latitude - project.latitude,
          (s.longitude - project.longitude) * Math.cos((project.latitude * Math.PI) / 180),
        );
      station = this.stations.reduce((a, b) => (distance(a) <= distance(b) ? a : b));
      this.nearest.set(project.id, station);
    }
    return station;
  }

  async conditions(projects: readonly Project[], time: number): Promise<(Weather | null)[]> {
    const hour = Math.floor(time / HOUR) * HOUR;
    return projects.map((project) => this.stationFor(project).hours.get(hour) ?? null);
  }
}
