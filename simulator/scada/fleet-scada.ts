// The per-turbine simulation of a fleet: its turbines, their defects, their periods of downtime
// and curtailment, and each turbine's SCADA reading at a moment from its project's weather.
import type { Project } from "../fleet.ts";
import type { WeatherProvider } from "../weather/provider.ts";
import { ScadaChannels, type ScadaReading } from "./channels.ts";
import { chooseDefects, type Defect } from "./defects.ts";
import type { PlantedEffect } from "./episodes.ts";
import { PeriodCalendar } from "./events.ts";
import { expandFleet, type SimulatedTurbine } from "./turbines.ts";

export interface ScadaFleetOptions {
  /** One reading per 10 minutes with statistics (mean/min/max/std) instead of instantaneous. */
  statistics: boolean;
  /** Defective turbines of each whole-run kind (default 2). */
  defectsPerKind?: number;
  /** Turbines with each episodic defect, icing and derating (default 0: none). */
  episodicDefectsPerKind?: number;
  /** Told of every reading icing or derating changed (the truth the analyses are checked on). */
  onPlanted?: (effect: PlantedEffect) => void;
}

export class ScadaFleet {
  readonly turbines: SimulatedTurbine[];
  readonly defects: Defect[];
  private readonly channels: ScadaChannels;
  private readonly projectIndex: Map<string, number>;

  constructor(
    readonly projects: readonly Project[],
    options: ScadaFleetOptions,
  ) {
    this.turbines = expandFleet(projects);
    this.defects = chooseDefects(
      this.turbines,
      options.defectsPerKind ?? 2,
      options.episodicDefectsPerKind ?? 0,
    );
    this.channels = new ScadaChannels(
      new PeriodCalendar(),
      this.defects,
      options.statistics,
      options.onPlanted,
    );
    this.projectIndex = new Map(projects.map((p, i) => [p.id, i]));
  }

  /**
   * Every turbine's reading at `time`, each covering `intervalMs`; turbines whose project has no
   * weather are skipped and counted in `missing`.
   */
  async readingsAt(
    weather: WeatherProvider,
    time: number,
    intervalMs: number,
  ): Promise<{ readings: ScadaReading[]; missing: number }> {
    const conditions = await weather.conditions(this.projects, time);
    const readings: ScadaReading[] = [];
    let missing = 0;
    for (const turbine of this.turbines) {
      const at = conditions[this.projectIndex.get(turbine.project.id) ?? -1];
      if (at) readings.push(this.channels.reading(turbine, at, time, intervalMs));
      else missing++;
    }
    return { readings, missing };
  }
}
