// The registry entries of the turbines in one ingest request, for the store (dimensions) and for
// REQUIRE_REGISTERED. Registries answer from memory (DuckDB) or a short cache (DynamoDB).
import type { RegisteredTurbine, TurbineRegistry } from "./port.ts";

/**
 * Beyond this many turbines in one request (a gateway's batch), the whole registry is read
 * once (one cached listing: a few Scan pages on DynamoDB) instead of one lookup per turbine.
 */
const LIST_FROM_TURBINES = 25;

export async function turbinesOf(
  registry: TurbineRegistry,
  readings: readonly { turbine_id: string }[],
): Promise<Map<string, RegisteredTurbine>> {
  const ids = new Set<string>();
  for (const reading of readings) ids.add(reading.turbine_id);
  const found = new Map<string, RegisteredTurbine>();
  if (ids.size > LIST_FROM_TURBINES) {
    for (const turbine of await registry.list()) {
      if (ids.has(turbine.turbine_id)) found.set(turbine.turbine_id, turbine);
    }
    return found;
  }
  const entries = await Promise.all([...ids].map((id) => registry.get(id)));
  for (const turbine of entries) if (turbine) found.set(turbine.turbine_id, turbine);
  return found;
}

/** The 403 detail for readings of turbines the registry does not know (REQUIRE_REGISTERED). */
export function unregisteredDetail(turbineIds: readonly string[]): string {
  const shown = turbineIds.slice(0, 5).map((id) => `"${id}"`);
  const more = turbineIds.length > 5 ? ` and ${turbineIds.length - 5} more` : "";
  const first = turbineIds[0] ?? "ID";
  return (
    `Turbine ${shown.join(", ")}${more} ${turbineIds.length === 1 ? "is" : "are"} not registered, and this server requires registration (REQUIRE_REGISTERED): nothing was stored. ` +
    `Register ${turbineIds.length === 1 ? "it" : "them"} with PUT /v1/turbines/${first} and the operator key (for example {"rated_kw": 3000}), or import a fleet with npm run fleet -- import FILE.csv, then send again.`
  );
}
