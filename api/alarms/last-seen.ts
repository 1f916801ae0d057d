// Each turbine's latest reading, kept by the write path where there is no live hub (Lambda): one
// small record per turbine, updated with every answer that stored readings of it. The fleet
// listing, the polled live snapshot and the scheduled alarm evaluation read these records instead
// of querying the store of readings (a Timestream query is billed at least 4 TCUs for 30 s; the
// records cost one DynamoDB write a reading and one read a turbine).
//
// A record also carries what the alarm rules remember between readings (rules.ts: when the current
// run of fault readings began, how many underperforming readings in a row), folded in on the
// write path in time order, so the schedule judges every turbine without replaying its readings.
// Readings older than the record's are left out of it (the rules skip them too).

import type { TurbinePlace } from "../live/places.ts";
import type { LiveTurbine } from "../live/turbine.ts";
import type { Reading } from "../store/port.ts";
import type { AlarmRules } from "./config.ts";
import { isUnderperforming } from "./rules.ts";

export interface LastSeen {
  turbine_id: string;
  /** The turbine's latest stored reading. */
  reading: Reading;
  /** The time of the reading before it (null for its first): its reporting interval. */
  previousTime: number | null;
  /** The start of the current run of fault readings, null unless the latest is a fault. */
  faultSince: number | null;
  /** Underperforming readings in a row, up to the latest. */
  underperforming: number;
}

/** What one answer's readings of one turbine change in its record. */
export interface LastSeenChange {
  turbine_id: string;
  latest: Reading;
  /** The reading before the latest in this answer; null: the record's latest is that one. */
  previousTime: number | null;
  /**
   * The fault run the latest reading ends: null when it is no fault; `since` the run's first
   * reading of this answer, `continues` when every reading of the answer is a fault (the run may
   * have begun in an earlier answer).
   */
  fault: { since: number; continues: boolean } | null;
  /** Underperforming readings in a row at the end of this answer; `continues` as for faults. */
  underperforming: { count: number; continues: boolean };
}

export interface LastSeenStore {
  /** Folds each change into its turbine's record, unless the record holds a later reading. */
  record(changes: readonly LastSeenChange[]): Promise<void>;
  /** Every turbine's record (seen within the records' lifetime), by turbine id. */
  all(): Promise<Map<string, LastSeen>>;
}

/** The changes an answer's stored readings make, one per turbine, its readings in time order. */
export function lastSeenChanges(
  readings: readonly Reading[],
  placeOf: (turbineId: string) => TurbinePlace,
  rules: AlarmRules,
): LastSeenChange[] {
  const byTurbine = new Map<string, Reading[]>();
  for (const reading of readings) {
    const list = byTurbine.get(reading.turbine_id);
    if (list) list.push(reading);
    else byTurbine.set(reading.turbine_id, [reading]);
  }
  const changes: LastSeenChange[] = [];
  for (const [turbineId, list] of byTurbine) {
    list.sort((a, b) => a.time - b.time);
    const place = placeOf(turbineId);
    let faultSince: number | null = null;
    let faultRun = 0;
    let under = 0;
    for (const reading of list) {
      if (reading.status === "fault") {
        faultSince ??= reading.time;
        faultRun++;
      } else {
        faultSince = null;
        faultRun = 0;
      }
      under = isUnderperforming(reading, place, rules) ? under + 1 : 0;
    }
    changes.push({
      turbine_id: turbineId,
      latest: list.at(-1) as Reading,
      previousTime: list.length > 1 ? (list.at(-2) as Reading).time : null,
      fault:
        faultSince === null ? null : { since: faultSince, continues: faultRun === list.length },
      underperforming: { count: under, continues: under === list.length },
    });
  }
  return changes;
}

/** The reporting interval a record shows (null until a second reading). */
export function intervalOf(seen: LastSeen): number | null {
  if (seen.previousTime === null) return null;
  const gap = seen.reading.time - seen.previousTime;
  return gap > 0 ? gap : null;
}

/** A turbine as the rules and the live view see it, from its last-seen record. */
export function liveTurbine(record: LastSeen, place: TurbinePlace): LiveTurbine {
  return {
    turbine_id: record.turbine_id,
    place,
    reading: record.reading,
    intervalMs: intervalOf(record),
    // Lambda cannot know when a reading arrived: its own time stands in (no replay on a schedule).
    arrivedAt: record.reading.time,
  };
}

/** The fleet's power in one minute, as the scheduled evaluation saw it (the live history). */
export interface FleetPowerPoint {
  /** The minute's start, epoch ms. */
  time: number;
  power_kw: number;
  turbines: number;
}
