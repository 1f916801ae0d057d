// Readings as InfluxDB line protocol, the write format InfluxDB 1.x, 2.x and 3.x all read:
//
//   readings,turbine_id=T1,province=Zeeland power_kw=1500,wind_speed_ms=9,status="producing",version=1i 1700000000000
//
// One point per reading: measurement = the store's table, tags = turbine_id and the turbine's
// registry dimensions, fields = power, wind, status, status code, version and every measure,
// time in milliseconds (`precision=ms` on the write).
import type { Reading } from "./port.ts";

/** Fields every point may carry; a tag of the same name would collide (InfluxDB forbids it). */
export const READING_FIELDS = ["power_kw", "wind_speed_ms", "status", "status_code", "version"];
/** Names neither a tag nor a field may take: the time column, and turbine_id (always a tag). */
const RESERVED = new Set(["time", "turbine_id", ...READING_FIELDS]);

// Backslashes in names and tag values: InfluxDB 1.x keeps `\\` as two backslashes, 2.x and 3.x
// read it as one, and a backslash before a comma, equals sign or space (or at the end) escapes
// it everywhere. So a lone backslash is written as it is; one before a backslash, comma, equals
// sign or space, or at the end, is refused.
const AMBIGUOUS_BACKSLASH = /\\(?=[,= \\]|$)/;

/** A measurement name: commas and spaces escaped. */
export function escapeMeasurement(name: string): string {
  return unambiguous(checked(name, "measurement"), "measurement").replace(/[, ]/g, (c) => `\\${c}`);
}

/** A tag key or value, or a field key: commas, equals signs and spaces escaped. */
export function escapeKey(text: string): string {
  return unambiguous(checked(text, "tag or field"), "tag or field").replace(
    /[,= ]/g,
    (c) => `\\${c}`,
  );
}

/** True when `text` can be a tag value, key or measurement the same way on every InfluxDB. */
export function representable(text: string): boolean {
  return text !== "" && !/[\n\r]/.test(text) && !AMBIGUOUS_BACKSLASH.test(text);
}

function unambiguous(text: string, what: string): string {
  if (AMBIGUOUS_BACKSLASH.test(text))
    throw new RangeError(
      `a ${what} cannot end in a backslash or hold one before a backslash, comma, equals sign or space: ${JSON.stringify(text)}`,
    );
  return text;
}

/** A string field value: double quotes and backslashes escaped, inside double quotes. */
export function quoteFieldString(text: string): string {
  return `"${checked(text, "field value").replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

// Line protocol ends a point at a newline and has no escape for it in tags or keys.
function checked(text: string, what: string): string {
  if (/[\n\r]/.test(text))
    throw new RangeError(`a ${what} cannot hold a line break: ${JSON.stringify(text)}`);
  return text;
}

/** A float field: line protocol reads a bare number as a float (never an integer). */
function float(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return String(value);
}

function integer(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`);
  return `${value}i`;
}

/**
 * The tags of a point: turbine_id, then the dimensions in name order. A dimension that line
 * protocol cannot carry alike on every InfluxDB (empty, a line break, an escaping backslash),
 * or named like a reading field, `time`, or one of this reading's measures, is left out:
 * InfluxDB forbids a tag and a field of one name, and the registry keeps every dimension anyway.
 */
export function pointTags(
  reading: Pick<Reading, "turbine_id"> & { measures?: Record<string, number> },
  dimensions: Record<string, string>,
): Record<string, string> {
  const tags: Record<string, string> = { turbine_id: reading.turbine_id };
  for (const name of Object.keys(dimensions).sort()) {
    const value = dimensions[name] as string;
    if (!representable(value) || !representable(name) || RESERVED.has(name)) continue;
    // Own names only: `in` would take a tag named constructor for a measure of that name.
    if (reading.measures && Object.hasOwn(reading.measures, name)) continue;
    tags[name] = value;
  }
  return tags;
}

/** The fields of a point. A null status is written as "" so that a correction overwrites it. */
export function pointFields(
  reading: Pick<Reading, "power_kw" | "wind_speed_ms" | "status" | "version"> & {
    status_code?: number | null;
    measures?: Record<string, number>;
  },
): string {
  const fields = [
    `power_kw=${float(reading.power_kw)}`,
    `wind_speed_ms=${float(reading.wind_speed_ms)}`,
    `status=${quoteFieldString(reading.status ?? "")}`,
  ];
  if (reading.status_code !== undefined && reading.status_code !== null)
    fields.push(`status_code=${integer(reading.status_code)}`);
  fields.push(`version=${integer(reading.version)}`);
  for (const name of Object.keys(reading.measures ?? {}).sort()) {
    fields.push(
      `${escapeKey(name)}=${float((reading.measures as Record<string, number>)[name] as number)}`,
    );
  }
  return fields.join(",");
}

/** One point of line protocol, time in epoch milliseconds. */
export function encodePoint(
  measurement: string,
  tags: Record<string, string>,
  reading: Parameters<typeof pointFields>[0] & { time: number },
): string {
  let line = escapeMeasurement(measurement);
  for (const [key, value] of Object.entries(tags)) line += `,${escapeKey(key)}=${escapeKey(value)}`;
  return `${line} ${pointFields(reading)} ${integer(reading.time).slice(0, -1)}`;
}
