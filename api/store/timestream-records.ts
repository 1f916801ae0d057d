// Readings as Timestream multi-measure records: one record per reading, measure name "reading",
// measures power_kw, wind_speed_ms, status and version, dimensions turbine_id and the tags,
// time in milliseconds, and the reading's version as the record's Version (Timestream replaces
// a record only for a higher Version: the contract's own rule).
import type { _Record, Dimension, MeasureValue } from "@aws-sdk/client-timestream-write";
import type { Reading } from "./port.ts";

export const MEASURE_NAME = "reading";
/** WriteRecords takes at most 100 records a call. */
export const RECORDS_PER_CALL = 100;

export const COMMON_ATTRIBUTES = {
  MeasureName: MEASURE_NAME,
  MeasureValueType: "MULTI",
  TimeUnit: "MILLISECONDS",
} as const;

export function readingDimensions(reading: Reading): Dimension[] {
  return [
    { Name: "turbine_id", Value: reading.turbine_id, DimensionValueType: "VARCHAR" },
    ...Object.entries(reading.tags)
      .sort(([a], [b]) => a.localeCompare(b))
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
): RecordChunk[] {
  const chunks: RecordChunk[] = [];
  for (let start = 0; start < indexes.length; start += RECORDS_PER_CALL) {
    const part = indexes.slice(start, start + RECORDS_PER_CALL);
    const dimensions = part.map((i) => readingDimensions(readings[i] as Reading));
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
