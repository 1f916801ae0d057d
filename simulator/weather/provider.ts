// Weather providers behind one interface: the simulator asks for the conditions at each project
// at one moment, and gets them, or null for a project the provider has no data for. Missing
// weather never becomes a made-up reading: the driver skips that reading and counts it.
import type { Project } from "../fleet.ts";

export interface Weather {
  /** Wind at `heightM` above ground, m/s. */
  windMs: number;
  heightM: number;
  temperatureC: number;
  pressureHpa: number;
}

export interface WeatherProvider {
  readonly name: string;
  /** Live providers' retries and failed calls, for the run's report. */
  readonly log?: { retries: number; failures: string[] };
  /** Conditions at each project at `time` (epoch ms), in the order of `projects`. */
  conditions(projects: readonly Project[], time: number): Promise<(Weather | null)[]>;
}
