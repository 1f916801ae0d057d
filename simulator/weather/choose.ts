// Picking a weather provider by name, with what each needs.
import type { WeatherProvider } from "./provider.ts";
import { SyntheticWeather } from "./synthetic.ts";

export type WeatherChoice = { provider: "synthetic" };

export function createWeatherProvider(choice: WeatherChoice, seed: number): WeatherProvider {
  switch (choice.provider) {
    case "synthetic":
      return new SyntheticWeather(seed);
  }
}
