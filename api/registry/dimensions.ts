// The registry fields a cloud store writes on every reading as dimensions (Timestream
// CommonAttributes, InfluxDB tags), so that its queries group by project, model, province or
// municipality without a join. The registry refuses a description whose dimensions would break
// Timestream's limits, so that nothing gust accepts is later refused by Timestream.
import type { TurbineDescription } from "./port.ts";

/** Timestream: at most 2 KB of dimensions per series (names and values, UTF-8 bytes). */
export const MAX_DIMENSION_BYTES = 2048;
/** Timestream: at most 128 dimensions per table. */
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

/** What breaks Timestream's dimension limits for this turbine's series; empty when nothing. */
export function dimensionProblems(
  turbineId: string,
  description: DimensionFields,
): { path: string[]; message: string }[] {
  const dimensions = { turbine_id: turbineId, ...turbineDimensions(description) };
  const problems: { path: string[]; message: string }[] = [];
  for (const name of Object.keys(dimensions)) {
    if (RESERVED_DIMENSION_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      problems.push({
        path: ["tags", name],
        message: `dimension names may not start with ${RESERVED_DIMENSION_PREFIXES.join(" or ")}`,
      });
    }
  }
  const count = Object.keys(dimensions).length;
  if (count > MAX_DIMENSIONS) {
    problems.push({
      path: ["tags"],
      message: `${count} dimensions with turbine_id and the description's: at most ${MAX_DIMENSIONS}`,
    });
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(dimensions)) {
    bytes += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value, "utf8");
  }
  if (bytes > MAX_DIMENSION_BYTES) {
    problems.push({
      path: ["tags"],
      message: `turbine_id, the description's dimensions and tags take ${bytes} bytes (UTF-8, names and values) as dimensions: at most ${MAX_DIMENSION_BYTES} (Timestream's limit per series); shorten them`,
    });
  }
  return problems;
}
