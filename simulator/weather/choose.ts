// Picking a weather provider by name, with what each needs.
import { KnmiWeather } from "./knmi.ts";
import { OpenMeteoWeather } from "./open-meteo.ts";
import { OpenWeatherMapWeather } from "./openweathermap.ts";
import type { WeatherProvider } from "./provider.ts";
import { SyntheticWeather } from "./synthetic.ts";

export const WEATHER_PROVIDERS = ["synthetic", "open-meteo", "openweathermap", "knmi"] as const;

export type WeatherChoice =
  | { provider: "synthetic" }
  | { provider: "open-meteo"; url?: string }
  | { provider: "openweathermap"; apiKey: string; url?: string }
  | { provider: "knmi"; path: string };

export function createWeatherProvider(choice: WeatherChoice, seed: number): WeatherProvider {
  switch (choice.provider) {
    case "synthetic":
      return new SyntheticWeather(seed);
    case "open-meteo":
      return new OpenMeteoWeather(choice.url);
    case "openweathermap":
      return new OpenWeatherMapWeather(choice.apiKey, choice.url);
    case "knmi":
      return new KnmiWeather(choice.path);
  }
}
