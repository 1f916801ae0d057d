// A fleet chart's last time bin when some gateways have not reported yet: it holds fewer turbines
// than the bins before it, so its sum reads as a drop in production that never happened. The
// report leaves such trailing bins out of its charts (the tables and files keep them, with their
// `turbines` count) and says so under the chart.

export interface FleetBin {
  time: string | number | Date;
  turbines: number;
}

export interface LateBins {
  /** The first left-out bin's start (epoch ms); null: every bin is drawn. */
  cutoffMs: number | null;
  /** The left-out bins: their start and how many turbines had reported. */
  leftOut: { time: number; turbines: number }[];
  /** How many turbines report in a complete bin: the median over the period's bins. */
  reporting: number;
}

/** The trailing bins with fewer turbines than a usual bin of the period (the median). */
export function lateBins(bins: readonly FleetBin[]): LateBins {
  const counts = bins.map((bin) => bin.turbines).sort((a, b) => a - b);
  const reporting = counts.length ? (counts[Math.floor((counts.length - 1) / 2)] ?? 0) : 0;
  const ordered = bins
    .map((bin) => ({ time: new Date(bin.time).getTime(), turbines: bin.turbines }))
    .sort((a, b) => a.time - b.time);
  const leftOut: LateBins["leftOut"] = [];
  // Never all of them: a period of one bin, or one where every bin is short, is what it is.
  for (let i = ordered.length - 1; i > 0; i--) {
    const bin = ordered[i] as { time: number; turbines: number };
    if (bin.turbines >= reporting) break;
    leftOut.unshift(bin);
  }
  return { cutoffMs: leftOut[0]?.time ?? null, leftOut, reporting };
}

/** What the chart says about it, or nothing when every bin is drawn. */
export function lateBinsNote(late: LateBins): string | null {
  const [first] = late.leftOut;
  if (!first) return null;
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const which =
    late.leftOut.length === 1
      ? `the last bin (${hhmm(first.time)} UTC), where ${first.turbines} of ${late.reporting} turbines had reported`
      : `the last ${late.leftOut.length} bins (from ${hhmm(first.time)} UTC), where ${late.leftOut.map((b) => b.turbines).join(", ")} of ${late.reporting} turbines had reported`;
  return `Left out: ${which}; the tables keep it with its turbine count.`;
}
