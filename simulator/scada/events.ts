// The periods a turbine does not run freely: faults, scheduled maintenance, and curtailment by
// the grid operator. Each is a period with a start, a duration and a SCADA status code, drawn
// from seeded randomness per turbine (or project) and day, so that any moment can be asked about
// without state, and a replay of the same window sees the same periods.
//
// Distributions (documented in docs/simulator.md):
//   fault        starts as a Poisson process, on average one per turbine per 20 days; duration
//                log-normal with a median of 3 h and sigma 1.0 (mean ~5 h, 1 in 20 over 15 h),
//                capped at 72 h; the code names the failed system (FAULT_CODES)
//   maintenance  one visit per turbine per 120 days on average, starting between 07:00 and
//                10:00 UTC, lasting 6-10 h (uniform)
//   curtailment  per project (the grid connection is the project's), one period per 10 days on
//                average; duration log-normal, median 2 h, sigma 0.7, capped at 24 h; power
//                capped at 30-70% of rated
import { hashString, normal, seededRandom } from "../random.ts";

/** SCADA status codes the simulator sends (status_code), by coarse status. */
export const STATUS_CODES = {
  idle: 1,
  producing: 2,
  curtailed: 3,
  /** Stopped above the cut-out wind speed to protect itself. */
  storm: 4,
  maintenance: 200,
} as const;

/** Fault codes: the system that failed. */
export const FAULT_CODES = {
  pitch_system: 110,
  converter: 120,
  generator_temperature: 130,
  yaw_system: 140,
  grid: 150,
} as const;
const FAULT_CODE_LIST = Object.values(FAULT_CODES);

export interface Period {
  kind: "fault" | "maintenance" | "curtailment";
  start: number;
  end: number;
  statusCode: number;
  /** Curtailment: the cap as a share of rated power. */
  capShare?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FAULTS_PER_DAY = 1 / 20;
const MAINTENANCE_PER_DAY = 1 / 120;
const CURTAILMENTS_PER_DAY = 1 / 10;
const MAX_FAULT_HOURS = 72;
const MAX_CURTAILMENT_HOURS = 24;
/** Periods that start this many days back can still be running. */
const LOOKBACK_DAYS = 3;

function poissonCount(random: () => number, mean: number): number {
  // Knuth: fine for the small means here.
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k++;
  return k;
}

function logNormalHours(random: () => number, medianHours: number, sigma: number, cap: number) {
  return Math.min(cap, medianHours * Math.exp(sigma * normal(random)));
}

/** The turbine's fault and maintenance periods that start on `day` (days since the epoch). */
export function turbinePeriodsStartingOn(turbineId: string, day: number): Period[] {
  const random = seededRandom(hashString(turbineId) ^ Math.imul(day, 0x9e3779b1));
  const periods: Period[] = [];
  for (let i = poissonCount(random, FAULTS_PER_DAY); i > 0; i--) {
    const start = day * DAY + Math.floor(random() * DAY);
    const hours = logNormalHours(random, 3, 1.0, MAX_FAULT_HOURS);
    const code = FAULT_CODE_LIST[Math.floor(random() * FAULT_CODE_LIST.length)] as number;
    periods.push({ kind: "fault", start, end: start + hours * HOUR, statusCode: code });
  }
  if (random() < MAINTENANCE_PER_DAY) {
    const start = day * DAY + (7 + 3 * random()) * HOUR;
    const hours = 6 + 4 * random();
    periods.push({
      kind: "maintenance",
      start,
      end: start + hours * HOUR,
      statusCode: STATUS_CODES.maintenance,
    });
  }
  return periods;
}

/** The project's curtailment periods that start on `day`. */
export function projectCurtailmentsStartingOn(projectId: string, day: number): Period[] {
  const random = seededRandom(hashString(projectId) ^ Math.imul(day, 0x85ebca6b) ^ 0xc0ffee);
  const periods: Period[] = [];
  for (let i = poissonCount(random, CURTAILMENTS_PER_DAY); i > 0; i--) {
    const start = day * DAY + Math.floor(random() * DAY);
    const hours = logNormalHours(random, 2, 0.7, MAX_CURTAILMENT_HOURS);
    periods.push({
      kind: "curtailment",
      start,
      end: start + hours * HOUR,
      statusCode: STATUS_CODES.curtailed,
      capShare: 0.3 + 0.4 * random(),
    });
  }
  return periods;
}

/**
 * Answers "which period is this turbine in at time t" quickly while time moves forward: the
 * periods of the last few days are kept per turbine and day.
 */
export class PeriodCalendar {
  private readonly turbines = new Map<string, { day: number; periods: Period[] }>();
  private readonly projects = new Map<string, { day: number; periods: Period[] }>();

  private periodsAround(
    cache: Map<string, { day: number; periods: Period[] }>,
    id: string,
    day: number,
    draw: (id: string, day: number) => Period[],
  ): Period[] {
    const cached = cache.get(id);
    if (cached && cached.day === day) return cached.periods;
    const periods: Period[] = [];
    for (let d = day - LOOKBACK_DAYS; d <= day; d++) periods.push(...draw(id, d));
    cache.set(id, { day, periods });
    return periods;
  }

  /** The fault or maintenance period the turbine is in at `time`, if any (a fault first). */
  downtime(turbineId: string, time: number): Period | null {
    const day = Math.floor(time / DAY);
    const periods = this.periodsAround(this.turbines, turbineId, day, turbinePeriodsStartingOn);
    let found: Period | null = null;
    for (const period of periods) {
      if (time >= period.start && time < period.end) {
        if (period.kind === "fault") return period;
        found = period;
      }
    }
    return found;
  }

  /** The curtailment period the project is in at `time`, if any. */
  curtailment(projectId: string, time: number): Period | null {
    const day = Math.floor(time / DAY);
    const periods = this.periodsAround(
      this.projects,
      projectId,
      day,
      projectCurtailmentsStartingOn,
    );
    for (const period of periods) if (time >= period.start && time < period.end) return period;
    return null;
  }
}
