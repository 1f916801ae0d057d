// The alarm rules, as pure functions of what gust knows about one turbine now. Each answers a
// condition (the alarm should be open, with what it saw), null (it should be closed), or
// undefined (this information says nothing: e.g. a replayed reading from hours ago).

import type { AlarmRule } from "../live/alarm.ts";
import type { TurbinePlace } from "../live/places.ts";
import type { LiveTurbine } from "../live/turbine.ts";
import type { Reading } from "../store/port.ts";
import type { AlarmRules } from "./config.ts";
import { expectedBand, expectedPowerKw } from "./expected-power.ts";

export interface Condition {
  detail: string;
  reading: Record<string, unknown> | null;
}

export type Verdict = Condition | null | undefined;

/** What the rules remember of one turbine between readings. */
export interface TurbineAlarmState {
  /** Time of the first reading of the current run of `fault` readings. */
  faultSince: number | null;
  /** Consecutive underperforming readings, and the first of them. */
  underperforming: number;
  /** Arrival times of rejected readings in the last hour, with the last rejection. */
  rejections: number[];
  lastRejection: Record<string, unknown> | null;
  /** Time of the last reading the rules looked at. */
  lastSeen: number | null;
}

export function newAlarmState(): TurbineAlarmState {
  return {
    faultSince: null,
    underperforming: 0,
    rejections: [],
    lastRejection: null,
    lastSeen: null,
  };
}

export function readingJson(turbine: LiveTurbine): Record<string, unknown> {
  const { time, ...rest } = turbine.reading;
  return { ...rest, time: new Date(time).toISOString() };
}

/** Updates the state with one of the turbine's readings (each once, in time order). */
export function observeReading(
  state: TurbineAlarmState,
  reading: Reading,
  place: TurbinePlace,
  rules: AlarmRules,
): void {
  if (state.lastSeen !== null && reading.time <= state.lastSeen) return;
  state.lastSeen = reading.time;
  if (reading.status === "fault") state.faultSince ??= reading.time;
  else state.faultSince = null;
  state.underperforming = isUnderperforming(reading, place, rules) ? state.underperforming + 1 : 0;
}

export function isUnderperforming(
  reading: Reading,
  place: TurbinePlace,
  rules: AlarmRules,
): boolean {
  // Faults, maintenance, curtailment and idling have reasons of their own (and rules).
  if (reading.status !== "producing" && reading.status !== null) return false;
  const band = expectedBand(place.model);
  if (!band || reading.wind_speed_ms < band.fromMs || reading.wind_speed_ms > band.toMs) {
    return false;
  }
  const expected = expectedPowerKw(band, reading.wind_speed_ms, place.rated_kw);
  return reading.power_kw < rules.underperformingRatio * expected;
}

export function evaluate(
  rule: AlarmRule,
  turbine: LiveTurbine | undefined,
  state: TurbineAlarmState,
  rules: AlarmRules,
  now: number,
  silent: boolean,
): Verdict {
  if (rule === "rejections") return evaluateRejections(state, rules, now);
  if (!turbine) return undefined;
  const fresh = now - turbine.reading.time <= rules.maxReadingAgeMs;
  switch (rule) {
    case "silent": {
      if (!silent) return null;
      const interval = turbine.intervalMs ?? 60_000;
      return {
        detail: `no reading for ${duration(now - turbine.reading.time)} (more than ${rules.silentIntervals} of its ${duration(interval)} intervals)`,
        reading: readingJson(turbine),
      };
    }
    case "fault": {
      // A fault is what the turbine says now. Once its last reading is older than the freshness
      // limit it says nothing now (a replay ended, the gateway stopped): the fault closes, and
      // the silent rule speaks for a turbine that stopped reporting. So open alarms are the
      // faults of turbines that report, which the map shows as fault.
      if (!fresh) return state.faultSince === null ? undefined : null;
      if (state.faultSince === null) return null;
      const lasted = turbine.reading.time - state.faultSince;
      if (lasted < rules.faultMs) return null;
      return {
        detail: `status fault since ${new Date(state.faultSince).toISOString()} (${duration(lasted)} so far)`,
        reading: readingJson(turbine),
      };
    }
    case "underperforming": {
      if (!fresh) return undefined;
      if (state.underperforming < rules.underperformingReadings) return null;
      const band = expectedBand(turbine.place.model);
      if (!band) return null;
      const expected = expectedPowerKw(band, turbine.reading.wind_speed_ms, turbine.place.rated_kw);
      return {
        detail: `${round(turbine.reading.power_kw)} kW at ${turbine.reading.wind_speed_ms} m/s: ${Math.round((100 * turbine.reading.power_kw) / expected)}% of the ${round(expected)} kW its model (${band.model.name}) gives, ${state.underperforming} readings in a row`,
        reading: readingJson(turbine),
      };
    }
  }
}

function evaluateRejections(state: TurbineAlarmState, rules: AlarmRules, now: number): Verdict {
  const hourAgo = now - 3_600_000;
  while ((state.rejections[0] ?? Number.POSITIVE_INFINITY) < hourAgo) state.rejections.shift();
  if (state.rejections.length <= rules.rejectionsPerHour) return null;
  return {
    detail: `${state.rejections.length} readings rejected in the last hour (more than ${rules.rejectionsPerHour})`,
    reading: state.lastRejection,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** 90 s, 12 min, 3.5 h. */
export function duration(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
