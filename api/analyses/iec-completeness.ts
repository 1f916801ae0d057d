// The database completeness check of IEC 61400-12-1 for one power curve: at least 180 hours of
// data in all, and at least 30 minutes in every bin from cut-in to 1.5 times the wind speed at
// which the curve reaches 85% of rated power. The standard's range starts 1 m/s below cut-in; a
// curve of producing readings only has nothing there, so the range here starts at the lowest bin
// with producing data (its cut-in as measured).
/** IEC 61400-12-1's least data in a bin: three 10-minute readings. */
export const THIN_BIN_MINUTES = 30;
export const IEC_MIN_DATABASE_HOURS = 180;
/** The share of rated power whose wind speed, times 1.5, ends the range every bin must cover. */
const RATED_SHARE = 0.85;
const RANGE_FACTOR = 1.5;

export interface CurveBinData {
  /** Bin index (centre = index x binMs). */
  bin: number;
  hours: number;
  /** Mean power per kW rated; null without a rating. */
  perUnit: number | null;
}

export interface CurveCompleteness {
  curve_hours: number;
  /** Bins of the required range with under 30 minutes; null when the range is unknown. */
  curve_bins_missing: number | null;
  /** Every requirement met; false says which way in the other two fields. */
  iec_complete: boolean;
}

export function curveCompleteness(bins: readonly CurveBinData[], binMs: number): CurveCompleteness {
  const hours = bins.reduce((s, b) => s + b.hours, 0);
  const sorted = [...bins].sort((a, b) => a.bin - b.bin);
  const first = sorted[0];
  const at85 = sorted.find((b) => b.perUnit !== null && b.perUnit >= RATED_SHARE);
  if (!first || !at85) {
    return { curve_hours: round(hours), curve_bins_missing: null, iec_complete: false };
  }
  const last = Math.ceil((RANGE_FACTOR * at85.bin * binMs) / binMs);
  const minutes = new Map(sorted.map((b) => [b.bin, b.hours * 60]));
  let missing = 0;
  for (let bin = first.bin; bin <= last; bin++) {
    if ((minutes.get(bin) ?? 0) < THIN_BIN_MINUTES) missing++;
  }
  return {
    curve_hours: round(hours),
    curve_bins_missing: missing,
    iec_complete: missing === 0 && hours >= IEC_MIN_DATABASE_HOURS,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
