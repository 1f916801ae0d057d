// A reading's measures: up to 64 more numeric SCADA channels beside power and wind speed, by
// name. The recommended vocabulary (IEC 61400-25 / OpenOA names in docs/http-api.md) has physically
// sensible ranges; any other name is bounded generically so that nothing absurd (1.8e308) is
// stored. Checked by hand in one pass, like tags, for the same speed reasons.
import { POWER_KW_RANGE, READING_FIELDS, WIND_SPEED_MS_RANGE } from "./fields.ts";

export const MAX_MEASURES_PER_READING = 64;
/** Timestream's limit of measures per multi-measure record, and the embedded store's columns. */
export const MAX_MEASURE_COLUMNS = 256;
/** Of those, how many new names one turbine may bring (docs/adr: measure names per turbine). */
export const MAX_NEW_MEASURES_PER_TURBINE = 64;
export const MEASURE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,59}$/;
/** |value| bound for names outside the vocabulary. */
export const GENERIC_MEASURE_BOUND = 1e9;
/**
 * Timestream refuses a record over 2 KB (dimension and measure names and values). The measures'
 * share: names' bytes plus 8 bytes a value, leaving 1 KB for the record's dimensions and fields.
 */
export const MAX_MEASURE_BYTES = 1024;
const VALUE_BYTES = 8;

export interface MeasureRange {
  min: number;
  max: number;
  unit: string;
  /** The IEC 61400-25 / OpenOA name analysts map it to. */
  iec?: string;
  description: string;
}

/** The recommended vocabulary (CONTRACTS item 5), each with a physically sensible range. */
export const MEASURE_VOCABULARY: Readonly<Record<string, MeasureRange>> = {
  rotor_speed_rpm: {
    min: 0,
    max: 300,
    unit: "rpm",
    iec: "WROT_RotSpd",
    description: "Rotor speed",
  },
  generator_speed_rpm: {
    min: 0,
    max: 4000,
    unit: "rpm",
    iec: "WGEN_GnSpd",
    description: "Generator speed",
  },
  pitch_angle_deg: {
    min: -180,
    max: 180,
    unit: "°",
    iec: "WROT_BlPthAngVal",
    description: "Blade pitch angle",
  },
  wind_direction_deg: {
    min: 0,
    max: 360,
    unit: "°",
    iec: "WMET_HorWdDir",
    description: "Wind direction (from north, clockwise)",
  },
  nacelle_direction_deg: {
    min: 0,
    max: 360,
    unit: "°",
    iec: "WNAC_Dir",
    description: "Nacelle direction",
  },
  yaw_error_deg: {
    min: -180,
    max: 180,
    unit: "°",
    iec: "WYAW_YwAng / WMET_HorWdDirRel",
    description: "Wind direction relative to the nacelle",
  },
  ambient_temperature_c: {
    min: -60,
    max: 60,
    unit: "°C",
    iec: "WMET_EnvTmp",
    description: "Ambient temperature",
  },
  ambient_pressure_hpa: {
    min: 500,
    max: 1100,
    unit: "hPa",
    iec: "WMET_EnvPres",
    description: "Ambient air pressure",
  },
  energy_counter_kwh: {
    min: 0,
    max: 1e12,
    unit: "kWh",
    iec: "WTUR_SupWh / 1000",
    description: "Cumulative energy exported",
  },
  gearbox_temperature_c: {
    min: -60,
    max: 250,
    unit: "°C",
    description: "Gearbox bearing or oil temperature",
  },
  generator_temperature_c: {
    min: -60,
    max: 250,
    unit: "°C",
    description: "Generator winding temperature",
  },
  nacelle_temperature_c: {
    min: -60,
    max: 100,
    unit: "°C",
    description: "Temperature inside the nacelle",
  },
};

/** Ranges of the statistics of the reading's own channels (power_kw_min, wind_speed_ms_std, ...). */
const BASE_CHANNELS: Readonly<Record<string, { min: number; max: number }>> = {
  power_kw: POWER_KW_RANGE,
  wind_speed_ms: WIND_SPEED_MS_RANGE,
};

export const STATISTIC_SUFFIXES = ["_min", "_max", "_mean", "_std"] as const;

// Names a measure may not take: the reading's fields (a measure beside them would shadow them in
// every store), Timestream's reserved names, and the dimensions the registry writes on records.
const RESERVED_MEASURE_NAMES: ReadonlySet<string> = new Set([
  ...READING_FIELDS,
  "measure_name",
  "project",
  "model",
  "rated_kw",
  "latitude",
  "longitude",
  "municipality",
  "province",
]);

/** The range a measure name's values must lie in (inclusive). */
export function measureRange(name: string): { min: number; max: number } {
  const known = ownRange(MEASURE_VOCABULARY, name);
  if (known) return known;
  for (const suffix of STATISTIC_SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const range = ownRange(MEASURE_VOCABULARY, base) ?? ownRange(BASE_CHANNELS, base);
    if (!range) break;
    // A standard deviation is never negative nor wider than the range itself.
    return suffix === "_std" ? { min: 0, max: range.max - range.min } : range;
  }
  return { min: -GENERIC_MEASURE_BOUND, max: GENERIC_MEASURE_BOUND };
}

// Own properties only: "constructor" must not find Object's.
function ownRange<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

const nameProblemCache = new Map<string, string | null>();

/** Why a measure name is not allowed, or null; answers cached (names repeat on every reading). */
export function measureNameProblem(name: string): string | null {
  const cached = nameProblemCache.get(name);
  if (cached !== undefined) return cached;
  let problem: string | null = null;
  if (!MEASURE_NAME_PATTERN.test(name)) {
    problem = "measure names are 1-60 characters of a-z 0-9 _, starting with a lowercase letter";
  } else if (
    RESERVED_MEASURE_NAMES.has(name) ||
    name.startsWith("ts_") ||
    name.startsWith("measure_value")
  ) {
    problem = "measure name is reserved (a reading field, a dimension or a Timestream name)";
  }
  if (nameProblemCache.size < 10_000) nameProblemCache.set(name, problem);
  return problem;
}

export interface MeasureProblem {
  measure?: string;
  message: string;
}

/** What is wrong with a measures value, each with the measure it concerns; empty when valid. */
export function measureProblems(measures: unknown): MeasureProblem[] {
  if (typeof measures !== "object" || measures === null || Array.isArray(measures)) {
    return [{ message: "measures must be an object of numbers by channel name" }];
  }
  const problems: MeasureProblem[] = [];
  let count = 0;
  let bytes = 0;
  for (const name in measures) {
    if (!Object.hasOwn(measures, name)) continue;
    const value = (measures as Record<string, unknown>)[name];
    count++;
    bytes += Buffer.byteLength(name) + VALUE_BYTES;
    const nameProblem = measureNameProblem(name);
    if (nameProblem !== null) {
      problems.push({ measure: name, message: nameProblem });
      continue;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      problems.push({ measure: name, message: "measure values are finite numbers" });
      continue;
    }
    const { min, max } = measureRange(name);
    if (value < min || value > max) {
      problems.push({ measure: name, message: `${name} must be between ${min} and ${max}` });
    }
  }
  if (count > MAX_MEASURES_PER_READING) {
    problems.push({ message: `at most ${MAX_MEASURES_PER_READING} measures a reading` });
  } else if (bytes > MAX_MEASURE_BYTES) {
    problems.push({
      message: `the measures' names take ${bytes - count * VALUE_BYTES} bytes: at most ${MAX_MEASURE_BYTES} bytes of names plus 8 a value (Timestream's 2 KB record); use shorter names`,
    });
  }
  return problems;
}

/**
 * What the fast path needs of one measure name: whether it is allowed and its range. Cached per
 * name (names repeat on every reading, and a 20-measure reading would otherwise pay for 20 range
 * lookups through the vocabulary and the statistics' suffixes).
 */
interface MeasureRule {
  allowed: boolean;
  min: number;
  max: number;
}
const ruleCache = new Map<string, MeasureRule>();
const REFUSED_NAME: MeasureRule = { allowed: false, min: 0, max: 0 };

function measureRule(name: string): MeasureRule {
  const cached = ruleCache.get(name);
  if (cached !== undefined) return cached;
  // Every rule of one shape ({allowed, min, max}, not the vocabulary's entries spread): the
  // fast path's reads of min and max then stay monomorphic.
  let rule = REFUSED_NAME;
  if (measureNameProblem(name) === null) {
    const { min, max } = measureRange(name);
    rule = { allowed: true, min, max };
  }
  // Bounded like the name cache: a flood of distinct names cannot grow it without end.
  if (ruleCache.size < 10_000) ruleCache.set(name, rule);
  return rule;
}

/**
 * The rules of the measure names of the last reading checked, by position: readings from one
 * source name their measures in the same order, so a name is nearly always the same string as
 * the last reading's at its position, which costs a comparison where the rule cache costs a hash
 * lookup.
 */
const recentNames: string[] = [];
const recentRules: MeasureRule[] = [];

function measureRuleAt(position: number, name: string): MeasureRule {
  if (recentNames[position] === name) return recentRules[position] as MeasureRule;
  const rule = measureRule(name);
  recentNames[position] = name;
  recentRules[position] = rule;
  return rule;
}

/** True when a measures value is valid: the fast path's check, with no messages built. */
export function measuresAreValid(measures: unknown): boolean {
  if (typeof measures !== "object" || measures === null || Array.isArray(measures)) return false;
  let count = 0;
  let bytes = 0;
  // No Object.hasOwn (a tenth of the cost): a name for-in finds that is not the object's own
  // (only if Object.prototype were given enumerable properties) is checked like the rest, which
  // can only make this answer false, and then the schema decides.
  for (const name in measures) {
    const value = (measures as Record<string, unknown>)[name];
    if (count >= MAX_MEASURES_PER_READING) return false;
    const rule = measureRuleAt(count++, name);
    bytes += name.length + VALUE_BYTES; // names are ASCII once they pass the pattern
    if (!rule.allowed || typeof value !== "number") return false;
    if (!(value >= rule.min && value <= rule.max)) return false;
  }
  return bytes <= MAX_MEASURE_BYTES;
}
