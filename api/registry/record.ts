// Building stored records from descriptions: one place for the etag and the "nothing changed"
// rule, so both registries answer alike.
import { createHash } from "node:crypto";
import type { PutResult, RegisteredTurbine, TurbineDescription } from "./port.ts";

/** The description's fields in a fixed order, tags sorted: equal descriptions, equal text. */
export function canonicalDescription(description: TurbineDescription): string {
  const tags = Object.fromEntries(
    Object.entries(description.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return JSON.stringify([
    description.name,
    description.project,
    description.model,
    description.rated_kw,
    description.hub_height_m,
    description.rotor_diameter_m,
    description.latitude,
    description.longitude,
    description.commissioned,
    tags,
  ]);
}

/**
 * The etag is a hash of what the record says (description and key generation), so the same
 * description put twice keeps its etag: a re-run of a fleet import changes nothing.
 */
export function turbineEtag(
  turbineId: string,
  description: TurbineDescription,
  keyGeneration: number,
): string {
  return createHash("sha256")
    .update(`${turbineId}\n${keyGeneration}\n${canonicalDescription(description)}`)
    .digest("base64url")
    .slice(0, 22);
}

export function descriptionOf(turbine: TurbineDescription): TurbineDescription {
  return {
    name: turbine.name,
    project: turbine.project,
    model: turbine.model,
    rated_kw: turbine.rated_kw,
    hub_height_m: turbine.hub_height_m,
    rotor_diameter_m: turbine.rotor_diameter_m,
    latitude: turbine.latitude,
    longitude: turbine.longitude,
    commissioned: turbine.commissioned,
    tags: { ...turbine.tags },
  };
}

/**
 * The record a put of `description` leaves, given what is stored now and, for a turbine not
 * registered, the generation its tombstone keeps (a deleted turbine's keys do not start over).
 */
export function nextRecord(
  turbineId: string,
  description: TurbineDescription,
  stored: RegisteredTurbine | null,
  now: number,
  retiredGeneration = 1,
): PutResult {
  const keyGeneration = stored?.key_generation ?? retiredGeneration;
  const etag = turbineEtag(turbineId, description, keyGeneration);
  if (stored && stored.etag === etag) return { turbine: stored, outcome: "unchanged" };
  return {
    turbine: {
      turbine_id: turbineId,
      ...descriptionOf(description),
      etag,
      updated_at: now,
      key_generation: keyGeneration,
    },
    outcome: stored ? "replaced" : "created",
  };
}

/** The record after a key rotation: the next generation, a new etag. */
export function rotatedRecord(stored: RegisteredTurbine, now: number): RegisteredTurbine {
  const keyGeneration = stored.key_generation + 1;
  return {
    ...stored,
    key_generation: keyGeneration,
    etag: turbineEtag(stored.turbine_id, descriptionOf(stored), keyGeneration),
    updated_at: now,
  };
}
