// Open-Meteo (no key): hourly wind at 100 m (wind_speed_unit=ms), 2 m temperature and surface
// pressure, for many coordinates per request (the API answers a list), cached per day. Readings
// between the hours interpolate linearly.
import type { Project } from "../fleet.ts";
import { type FetchLog, fetchJson } from "./http.ts";
import type { Weather, WeatherProvider } from "./provider.ts";

export const OPEN_METEO_URL = "https://api.open-meteo.com/v1/forecast";
const COORDINATES_PER_REQUEST = 50;
const HOUR = 3_600_000;

interface HourlySeries {
  time: number[];
  wind_speed_100m: (number | null)[];
  temperature_2m: (number | null)[];
  surface_pressure: (number | null)[];
}

export class OpenMeteoWeather implements WeatherProvider {
  readonly name = "open-meteo";
  readonly log: FetchLog = { retries: 0, failures: [] };
  // (project id, UTC day) -> that day's hourly series, or null when the service had none.
  private readonly cache = new Map<string, Promise<HourlySeries | null>>();

  constructor(private readonly baseUrl = OPEN_METEO_URL) {}

  async conditions(projects: readonly Project[], time: number): Promise<(Weather | null)[]> {
    const day = new Date(time).toISOString().slice(0, 10);
    const missing = projects.filter((p) => !this.cache.has(`${p.id}|${day}`));
    for (let i = 0; i < missing.length; i += COORDINATES_PER_REQUEST) {
      const part = missing.slice(i, i + COORDINATES_PER_REQUEST);
      const answer = this.fetchDay(part, day);
      part.forEach((project, n) => {
        this.cache.set(
          `${project.id}|${day}`,
          answer.then((series) => series?.[n] ?? null),
        );
      });
    }
    const series = await Promise.all(
      projects.map((p) => this.cache.get(`${p.id}|${day}`) as Promise<HourlySeries | null>),
    );
    return series.map((s) => (s ? interpolate(s, time) : null));
  }

  private async fetchDay(
    projects: readonly Project[],
    day: string,
  ): Promise<(HourlySeries | null)[] | null> {
    const params = new URLSearchParams({
      latitude: projects.map((p) => p.latitude).join(","),
      longitude: projects.map((p) => p.longitude).join(","),
      hourly: "wind_speed_100m,temperature_2m,surface_pressure",
      wind_speed_unit: "ms",
      timeformat: "unixtime",
      timezone: "GMT",
      start_date: day,
      end_date: day,
    });
    const answer = await fetchJson(`${this.baseUrl}?${params}`, this.log);
    if (answer === null) return null;
    // One coordinate answers an object, several a list, in the order asked.
    const locations = (Array.isArray(answer) ? answer : [answer]) as {
      hourly?: HourlySeries & { time: number[] };
    }[];
    return locations.map((location) => {
      const hourly = location.hourly;
      if (!hourly?.time) return null;
      return { ...hourly, time: hourly.time.map((seconds) => seconds * 1000) };
    });
  }
}

function interpolate(series: HourlySeries, time: number): Weather | null {
  const i = series.time.findIndex((t) => t > time) - 1;
  const at = i < 0 ? series.time.length - 1 : i;
  const t0 = series.time[at];
  if (t0 === undefined || time - t0 > HOUR) return null;
  const value = (values: (number | null)[]) => {
    const a = values[at];
    const b = values[at + 1] ?? a;
    if (a === null || a === undefined || b === null || b === undefined) return null;
    return a + ((b - a) * (time - t0)) / HOUR;
  };
  const wind = value(series.wind_speed_100m);
  const temperature = value(series.temperature_2m);
  const pressure = value(series.surface_pressure);
  if (wind === null || temperature === null || pressure === null) return null;
  return { windMs: wind, heightM: 100, temperatureC: temperature, pressureHpa: pressure };
}
