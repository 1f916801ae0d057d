// A release before the registry sent a turbine's metadata as tags on every reading. When such a
// file is migrated, each turbine's latest tags become its registry entry: project, model,
// rated_kw, lat and lon map to the registry's fields, every other tag stays a tag. A turbine
// already registered keeps its entry. Without a usable rated_kw tag (the registry requires one)
// the turbine's highest stored power stands in, marked with the tag rated_kw_source=migration,
// so that no turbine is left out; the operator corrects it with PUT /v1/turbines/{id}.
import type { TurbineEntry, TurbineRegistry } from "./port.ts";
import { TurbineDescriptionSchema, toDescription } from "./schema.ts";

/** What the store knows of a turbine from its readings: its latest tags and highest power. */
export interface TurbineFromReadings {
  tags: Record<string, string>;
  maxPowerKw: number;
}

const FIELD_TAGS = new Set(["project", "model", "rated_kw", "lat", "lon"]);

export function describeFromTags(turbine: TurbineFromReadings): TurbineEntry["description"] {
  const { tags, maxPowerKw } = turbine;
  const number = (text: string | undefined) => (text === undefined ? Number.NaN : Number(text));
  const rest: Record<string, string> = {};
  for (const [name, value] of Object.entries(tags)) if (!FIELD_TAGS.has(name)) rest[name] = value;
  const rated = number(tags.rated_kw);
  const hasRated = Number.isFinite(rated) && rated > 0;
  if (!hasRated) rest.rated_kw_source = "migration";
  const latitude = number(tags.lat);
  const longitude = number(tags.lon);
  const candidate = {
    ...(tags.project ? { project: tags.project } : {}),
    ...(tags.model ? { model: tags.model } : {}),
    rated_kw: hasRated ? rated : Math.max(1, Math.ceil(maxPowerKw)),
    ...(Number.isFinite(latitude) && Math.abs(latitude) <= 90 ? { latitude } : {}),
    ...(Number.isFinite(longitude) && Math.abs(longitude) <= 180 ? { longitude } : {}),
    tags: rest,
  };
  const parsed = TurbineDescriptionSchema.safeParse(candidate);
  if (parsed.success) return toDescription(parsed.data);
  // A tag the registry's rules refuse: register the fields alone (the readings keep their tags).
  const { tags: _refused, ...fields } = candidate;
  return toDescription(TurbineDescriptionSchema.parse(fields));
}

/** Registers the turbines of a migrated file that the registry does not know; returns how many. */
export async function registerFromReadingTags(
  registry: TurbineRegistry,
  turbines: ReadonlyMap<string, TurbineFromReadings>,
): Promise<number> {
  const entries: TurbineEntry[] = [];
  for (const [turbine_id, turbine] of turbines) {
    if (await registry.get(turbine_id)) continue;
    entries.push({ turbine_id, description: describeFromTags(turbine) });
  }
  for (let start = 0; start < entries.length; start += 1000) {
    await registry.putMany(entries.slice(start, start + 1000));
  }
  return entries.length;
}
