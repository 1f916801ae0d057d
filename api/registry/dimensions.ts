// The registry fields a cloud store writes on every reading as dimensions (Timestream
// CommonAttributes, InfluxDB tags), so that its queries group by project, model, province or
// municipality without a join. The registry refuses a description whose records would break
// Timestream's limits, on every runtime (a fleet registered locally deploys unchanged), so that
// nothing gust accepts is later refused by Timestream:
// - a record is at most 2 KB, dimensions and measures together, sized as Timestream meters it
//   (8 bytes of time; names and string values in UTF-8 bytes; 8 bytes a DOUBLE or BIGINT);
// - a table holds at most 128 dimension names, fleet-wide;
// - a name is a dimension or a measure in a table, never both: tags may not take a measure's name.
import {
  GENERIC_MEASURE_BOUND,
  MAX_MEASURE_BYTES,
  MEASURE_VOCABULARY,
  measureNameProblem,
  measureRange,
} from "../readings/measures.ts";
import type { TurbineDescription } from "./port.ts";

/** Timestream: at most 2 KB a record, dimensions and measures (its quotas page). */
export const MAX_RECORD_BYTES = 2048;
/**
 * A record's bytes besides its dimensions and the reading's measures, at most: 8 of time, the
 * measure name "reading", and the reading's own fields (power_kw, wind_speed_ms, version and
 * status_code at 8 bytes a value, status as its longest word, "maintenance").
 */
export const RECORD_FIELD_BYTES =
  8 +
  "reading".length +
  "power_kw".length +
  "wind_speed_ms".length +
  "version".length +
  "status_code".length +
  4 * 8 +
  "status".length +
  "maintenance".length;
/** What a turbine's dimensions may take: the record less its fields and the measures' share. */
export const MAX_DIMENSION_BYTES = MAX_RECORD_BYTES - RECORD_FIELD_BYTES - MAX_MEASURE_BYTES;
/** Timestream: at most 128 dimension names per table (the whole fleet's, not a turbine's). */
export const MAX_DIMENSIONS = 128;
/** Dimension names Timestream reserves. */
export const RESERVED_DIMENSION_PREFIXES = ["measure_value", "ts_"] as const;

/** What of the description becomes dimensions. */
export type DimensionFields = Pick<
  TurbineDescription,
  "project" | "model" | "rated_kw" | "latitude" | "longitude" | "tags"
>;

/**
 * The string dimensions of a turbine's readings, turbine_id aside: project, model, rated_kw,
 * latitude, longitude (those that are set) and its tags. Rated power and location travel too,
 * so that the analyses on Timestream and InfluxDB need no join either; a change of any of
 * them starts a new series there (Timestream's identity is every dimension).
 */
export function turbineDimensions(turbine: DimensionFields): Record<string, string> {
  const dimensions: Record<string, string> = {};
  if (turbine.project !== null) dimensions.project = turbine.project;
  if (turbine.model !== null) dimensions.model = turbine.model;
  dimensions.rated_kw = String(turbine.rated_kw);
  if (turbine.latitude !== null) dimensions.latitude = String(turbine.latitude);
  if (turbine.longitude !== null) dimensions.longitude = String(turbine.longitude);
  for (const name of Object.keys(turbine.tags).sort()) {
    dimensions[name] = turbine.tags[name] as string;
  }
  return dimensions;
}

/** True when a tag of this name would take a name a measure may have (a vocabulary channel). */
function isMeasureName(name: string): boolean {
  if (Object.hasOwn(MEASURE_VOCABULARY, name)) return true;
  // A statistic of a known channel (rotor_speed_rpm_mean) has that channel's range.
  const range = measureRange(name);
  return range.max !== GENERIC_MEASURE_BOUND && measureNameProblem(name) === null;
}

/**
 * What breaks Timestream's limits for this turbine's records; empty when nothing. `fleet`: the
 * dimension names the other registered turbines use (the table's 128 count them all), and
 * `measures`: the measure names the store holds.
 */
export function dimensionProblems(
  turbineId: string,
  description: DimensionFields,
  fleet: ReadonlySet<string> = new Set(),
  measures: ReadonlySet<string> = new Set(),
): { path: string[]; message: string }[] {
  const dimensions = { turbine_id: turbineId, ...turbineDimensions(description) };
  const problems: { path: string[]; message: string }[] = [];
  for (const name of Object.keys(dimensions)) {
    if (RESERVED_DIMENSION_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      problems.push({
        path: ["tags", name],
        message: `dimension names may not start with ${RESERVED_DIMENSION_PREFIXES.join(" or ")} (reserved by Timestream)`,
      });
    } else if (name in description.tags && (isMeasureName(name) || measures.has(name))) {
      problems.push({
        path: ["tags", name],
        message: `"${name}" is a measure's name (${measures.has(name) ? "the store holds readings with it" : "a channel of the measure vocabulary"}): a table's column is a dimension or a measure, not both; name the tag otherwise`,
      });
    }
  }
  const names = new Set([...fleet, ...Object.keys(dimensions)]);
  if (names.size > MAX_DIMENSIONS) {
    const added = Object.keys(dimensions).filter((name) => !fleet.has(name));
    problems.push({
      path: ["tags"],
      message: `the fleet would use ${names.size} dimension names (turbine_id, project, model, rated_kw, latitude, longitude and every tag name of every turbine; this one adds ${added.join(", ")}): Timestream holds at most ${MAX_DIMENSIONS} per table; reuse tag names other turbines use`,
    });
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(dimensions)) {
    bytes += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value, "utf8");
  }
  if (bytes > MAX_DIMENSION_BYTES) {
    problems.push({
      path: ["tags"],
      message: `turbine_id, the description's dimensions and tags take ${bytes} bytes (UTF-8, names and values) as dimensions: at most ${MAX_DIMENSION_BYTES}, Timestream's 2 KB record (${MAX_RECORD_BYTES} bytes) less ${RECORD_FIELD_BYTES} for the reading's fields and ${MAX_MEASURE_BYTES} for its measures; shorten them`,
    });
  }
  return problems;
}
