// Where a turbine is and what it is (project, province, model, rated power, position), for the
// live view and the alarm rules. The fleet registry is the source; a turbine it does not know
// falls back to the tags its readings carried, as senders from before the registry sent them.

import { log } from "../log.ts";
import type { Reading } from "../store/port.ts";
import { systemClock } from "../time/clock.ts";

export interface TurbinePlace {
  project: string | null;
  province: string | null;
  model: string | null;
  /** The turbine's (or project's) rated output, kW. */
  rated_kw: number | null;
  latitude: number | null;
  longitude: number | null;
}

/** The fields of a registered turbine the live view uses (api/registry's RegisteredTurbine). */
export interface RegistryEntry {
  turbine_id: string;
  project: string | null;
  model: string | null;
  rated_kw: number;
  latitude: number | null;
  longitude: number | null;
  tags: Record<string, string>;
}

/** How long the registry's list is trusted before it is read again. */
export const PLACES_REFRESH_MS = 30_000;
/** ...or after this long when readings of turbines it did not describe arrive (just registered). */
const UNKNOWN_REFRESH_MS = 2_000;

export class TurbinePlaces {
  private registered = new Map<string, TurbinePlace>();
  private fromReadings = new Map<string, TurbinePlace>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;
  /** A turbine the registry's copy did not know was seen: read it again soon. */
  private unknownSeen = false;
  /** Bumped at each load of the registry: the hub then resends every turbine's place. */
  version = 0;

  constructor(
    private readonly list?: () => Promise<readonly RegistryEntry[]>,
    private readonly now: () => number = systemClock.now,
  ) {}

  /** Reads the registry again when its copy is older than PLACES_REFRESH_MS (never blocks). */
  refresh(force = false): Promise<void> {
    if (!this.list) return Promise.resolve();
    if (this.loading) return this.loading;
    const age = this.now() - this.loadedAt;
    const due = age >= PLACES_REFRESH_MS || (this.unknownSeen && age >= UNKNOWN_REFRESH_MS);
    if (!force && !due) return Promise.resolve();
    this.unknownSeen = false;
    this.loading = this.list()
      .then((entries) => {
        this.registered = new Map(entries.map((entry) => [entry.turbine_id, placeOf(entry)]));
        this.version++;
        this.loadedAt = this.now();
      })
      .catch((error: unknown) => {
        // Keep the last good copy; the next refresh tries again.
        log.error("live view could not read the fleet registry", error as Error);
        this.loadedAt = this.now();
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  /** Notes the tags a reading carried, for turbines the registry does not describe. */
  observe(reading: Reading): void {
    if (!this.registered.has(reading.turbine_id)) this.unknownSeen = true;
    if (this.fromReadings.has(reading.turbine_id)) return;
    const tags = (reading as { tags?: Record<string, string> }).tags;
    if (!tags || Object.keys(tags).length === 0) return;
    this.fromReadings.set(reading.turbine_id, {
      project: tags.project ?? null,
      province: tags.province ?? null,
      model: tags.model ?? null,
      rated_kw: numberOrNull(tags.rated_kw),
      latitude: numberOrNull(tags.lat ?? tags.latitude),
      longitude: numberOrNull(tags.lon ?? tags.longitude),
    });
  }

  get(turbineId: string): TurbinePlace {
    return this.registered.get(turbineId) ?? this.fromReadings.get(turbineId) ?? UNKNOWN_PLACE;
  }
}

const UNKNOWN_PLACE: TurbinePlace = {
  project: null,
  province: null,
  model: null,
  rated_kw: null,
  latitude: null,
  longitude: null,
};

/** A registered turbine's place; every field unknown for a turbine the registry lacks (null). */
export function placeOf(entry: RegistryEntry | null): TurbinePlace {
  if (!entry) return UNKNOWN_PLACE;
  return {
    project: entry.project,
    province: entry.tags.province ?? null,
    model: entry.model,
    rated_kw: entry.rated_kw,
    latitude: entry.latitude,
    longitude: entry.longitude,
  };
}

function numberOrNull(value: string | undefined): number | null {
  if (value === undefined || value === "") return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
