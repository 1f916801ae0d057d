// Readings as Timestream multi-measure records: one record per reading, measure name "reading",
// measures power_kw, wind_speed_ms, status, status_code, version and every measure of the reading
// (DOUBLE, named as sent: the contract keeps names, count and record size within Timestream's
// limits), dimensions turbine_id and the tags,
// time in milliseconds, and the reading's version as the record's Version (Timestream replaces
// a record only for a higher Version: the contract's own rule).
import type { _Record, Dimension, MeasureValue } from "@aws-sdk/client-timestream-write";
import { READING_FIELDS } from "../readings/fields.ts";
import { turbineDimensions } from "../registry/dimensions.ts";
import type { RegisteredTurbine } from "../registry/port.ts";
import type { QueryRow, Reading } from "./port.ts";

export const MEASURE_NAME = "reading";
/** WriteRecords takes at most 100 records a call. */
export const RECORDS_PER_CALL = 100;

export const COMMON_ATTRIBUTES = {
  MeasureName: MEASURE_NAME,
  MeasureValueType: "MULTI",
  TimeUnit: "MILLISECONDS",
} as const;

/**
 * Dimension names in code-unit order, one order for writing and for reading back. Not
 * localeCompare: its first call loads ICU's collation (~5 ms of a cold Lambda's first write).
 */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function readingDimensions(reading: Reading): Dimension[] {
  return [
    { Name: "turbine_id", Value: reading.turbine_id, DimensionValueType: "VARCHAR" },
    ...Object.entries(reading.tags)
      .sort(([a], [b]) => byName(a, b))
      .map(([Name, Value]) => ({ Name, Value, DimensionValueType: "VARCHAR" as const })),
  ];
}

/** A registered turbine's dimensions: turbine_id and turbineDimensions() (project, model, tags). */
export function registryDimensions(turbine: RegisteredTurbine): Dimension[] {
  return [
    { Name: "turbine_id", Value: turbine.turbine_id, DimensionValueType: "VARCHAR" },
    ...Object.entries(turbineDimensions(turbine))
      .sort(([a], [b]) => byName(a, b))
      .map(([Name, Value]) => ({ Name, Value, DimensionValueType: "VARCHAR" as const })),
  ];
}

export function readingMeasures(reading: Reading): MeasureValue[] {
  const measures: MeasureValue[] = [
    { Name: "power_kw", Value: String(reading.power_kw), Type: "DOUBLE" },
    { Name: "wind_speed_ms", Value: String(reading.wind_speed_ms), Type: "DOUBLE" },
    { Name: "version", Value: String(reading.version), Type: "BIGINT" },
  ];
  // Timestream has no null measure value: a reading without status simply has no such measure.
  if (reading.status !== null)
    measures.push({ Name: "status", Value: reading.status, Type: "VARCHAR" });
  if (reading.status_code !== null)
    measures.push({ Name: "status_code", Value: String(reading.status_code), Type: "BIGINT" });
  for (const name in reading.measures) {
    measures.push({ Name: name, Value: String(reading.measures[name]), Type: "DOUBLE" });
  }
  return measures;
}

export interface RecordChunk {
  /** Indexes of the chunk's readings in the write. */
  indexes: number[];
  commonDimensions: Dimension[] | undefined;
  records: _Record[];
}

/**
 * Readings in chunks of at most 100 records; when every reading of a chunk has the same
 * dimensions (one turbine, as turbines send), they travel once in CommonAttributes.
 */
export function recordChunks(
  readings: readonly Reading[],
  indexes: readonly number[],
  /** Dimensions to write instead of the reading's own (a correction keeps the stored ones). */
  dimensionsOverride: ReadonlyMap<number, Dimension[]> = new Map(),
): RecordChunk[] {
  const chunks: RecordChunk[] = [];
  for (let start = 0; start < indexes.length; start += RECORDS_PER_CALL) {
    const part = indexes.slice(start, start + RECORDS_PER_CALL);
    const dimensions = part.map(
      (i) => dimensionsOverride.get(i) ?? readingDimensions(readings[i] as Reading),
    );
    const shared = dimensions.every((d) => JSON.stringify(d) === JSON.stringify(dimensions[0]));
    chunks.push({
      indexes: part,
      commonDimensions: shared ? dimensions[0] : undefined,
      records: part.map((i, n) => {
        const reading = readings[i] as Reading;
        return {
          ...(shared ? {} : { Dimensions: dimensions[n] }),
          Time: String(reading.time),
          MeasureValues: readingMeasures(reading),
          Version: reading.version,
        };
      }),
    });
  }
  return chunks;
}

// Columns of a query row that are neither dimensions nor measures of the reading.
const NOT_DIMENSIONS = new Set<string>([...READING_FIELDS, "measure_name", "time_ms"]);

/**
 * The dimensions a stored record was written with, from a `SELECT *` row: turbine_id and every
 * other text column that is not one of the reading's own fields (dimensions are the only text
 * columns besides status). In the order readingDimensions writes them.
 */
export function storedDimensions(row: QueryRow): Dimension[] {
  const names = Object.keys(row)
    .filter((name) => !NOT_DIMENSIONS.has(name) && typeof row[name] === "string")
    .sort(byName);
  return [
    { Name: "turbine_id", Value: String(row.turbine_id), DimensionValueType: "VARCHAR" },
    ...names.map((Name) => ({
      Name,
      Value: row[Name] as string,
      DimensionValueType: "VARCHAR" as const,
    })),
  ];
}
