// OpenWeatherMap current weather (needs a key): wind.speed at 10 m with units=metric, main.temp
// and main.pressure; what the original experiment used. It only knows the present, so a reading
// more than an hour from now gets no weather (and is counted, not invented). Cached 10 minutes.
import type { Project } from "../fleet.ts";
import { type FetchLog, fetchJson } from "./http.ts";
import type { Weather, WeatherProvider } from "./provider.ts";

export const OPENWEATHERMAP_URL = "https://api.openweathermap.org/data/2.5/weather";
const CACHE_MS = 10 * 60_000;
const PARALLEL = 8;

interface CurrentWeather {
  main?: { temp?: number; pressure?: number };
  wind?: { speed?: number };
}

export class OpenWeatherMapWeather implements WeatherProvider {
  readonly name = "openweathermap";
  readonly log: FetchLog = { retries: 0, failures: [] };
  private readonly cache = new Map<string, { at: number; weather: Weather | null }>();

  constructor(
    private readonly apiKey: string,
    private readonly baseUrl = OPENWEATHERMAP_URL,
    private readonly now: () => number = Date.now,
  ) {
    if (!apiKey)
      throw new Error("openweathermap needs an API key: --weather-key or OPENWEATHERMAP_API_KEY");
  }

  async conditions(projects: readonly Project[], time: number): Promise<(Weather | null)[]> {
    if (Math.abs(time - this.now()) > 3_600_000) return projects.map(() => null);
    const stale = projects.filter(
      (p) => (this.cache.get(p.id)?.at ?? -Infinity) < this.now() - CACHE_MS,
    );
    for (let i = 0; i < stale.length; i += PARALLEL) {
      await Promise.all(stale.slice(i, i + PARALLEL).map((project) => this.fetch(project)));
    }
    return projects.map((p) => this.cache.get(p.id)?.weather ?? null);
  }

  private async fetch(project: Project): Promise<void> {
    const params = new URLSearchParams({
      lat: String(project.latitude),
      lon: String(project.longitude),
      units: "metric",
      appid: this.apiKey,
    });
    const answer = (await fetchJson(
      `${this.baseUrl}?${params}`,
      this.log,
    )) as CurrentWeather | null;
    const wind = answer?.wind?.speed;
    const temp = answer?.main?.temp;
    const pressure = answer?.main?.pressure;
    const weather =
      wind === undefined || temp === undefined || pressure === undefined
        ? null
        : { windMs: wind, heightM: 10, temperatureC: temp, pressureHpa: pressure };
    this.cache.set(project.id, { at: this.now(), weather });
  }
}
