// The live view's snapshot as JSON (GET /v1/live/snapshot, the stream's first event), assembled
// from the turbines' last readings, their silence, the fleet power history and the open alarms:
// the local hub (hub.ts) assembles it from its memory, Lambda from the store (store-view.ts).
import { type Alarm, alarmJson } from "./alarm.ts";
import type { TurbinePlace } from "./places.ts";
import type { LiveTurbine } from "./turbine.ts";

export interface TurbineJson extends TurbinePlace {
  turbine_id: string;
  status: string | null;
  power_kw: number;
  wind_speed_ms: number;
  time: string;
  interval_s: number | null;
  silent: boolean;
  reading: Record<string, unknown>;
}

export interface SnapshotInput {
  now: number;
  /** The sequence number of the last alarm event. */
  lastEventId: string;
  /** Each turbine's last reading, with its place resolved. */
  turbines: LiveTurbine[];
  isSilent(turbine: LiveTurbine): boolean;
  history: {
    bucket_seconds: number;
    points: { time: string; power_kw: number; turbines: number }[];
  };
  readingsPerSecond: number;
  /** Readings counted since `readingsSince` (epoch ms). */
  readingsTotal: number;
  readingsSince: number;
  openAlarms: Alarm[];
}

export function liveSnapshot(input: SnapshotInput) {
  const turbines = [...input.turbines].sort((a, b) => (a.turbine_id < b.turbine_id ? -1 : 1));
  const rows = turbines.map((turbine) => turbineJson(turbine, input.isSilent(turbine)));
  return {
    time: new Date(input.now).toISOString(),
    last_event_id: input.lastEventId,
    fleet: fleetJson(rows, {
      readingsPerSecond: input.readingsPerSecond,
      readingsTotal: input.readingsTotal,
      readingsSince: input.readingsSince,
      openAlarms: input.openAlarms.length,
    }),
    provinces: groupPower(rows, "province"),
    projects: groupPower(rows, "project"),
    history: input.history,
    turbines: rows,
    alarms: [...input.openAlarms]
      .sort((a, b) => b.opened_at - a.opened_at || (a.id < b.id ? -1 : 1))
      .map(alarmJson),
  };
}

export type LiveSnapshot = ReturnType<typeof liveSnapshot>;

/** What the fleet and group sums need of a turbine (a TurbineJson has it, or a light row). */
export type FleetRow = Pick<
  TurbineJson,
  "silent" | "power_kw" | "rated_kw" | "province" | "project"
>;

/**
 * The snapshot's JSON as liveSnapshot would serialise it, with each turbine's row given as its
 * JSON already (the hub keeps one per turbine until the turbine changes), in turbine id order:
 * at 100,000 turbines, serialising every row again for each snapshot took over a second.
 */
export function liveSnapshotJson(
  input: Omit<SnapshotInput, "turbines" | "isSilent"> & { rows: FleetRow[]; rowJson: string[] },
): string {
  const head = JSON.stringify({
    time: new Date(input.now).toISOString(),
    last_event_id: input.lastEventId,
    fleet: fleetJson(input.rows, {
      readingsPerSecond: input.readingsPerSecond,
      readingsTotal: input.readingsTotal,
      readingsSince: input.readingsSince,
      openAlarms: input.openAlarms.length,
    }),
    provinces: groupPower(input.rows, "province"),
    projects: groupPower(input.rows, "project"),
    history: input.history,
  });
  const alarms = [...input.openAlarms]
    .sort((a, b) => b.opened_at - a.opened_at || (a.id < b.id ? -1 : 1))
    .map(alarmJson);
  return `${head.slice(0, -1)},"turbines":[${input.rowJson.join(",")}],"alarms":${JSON.stringify(alarms)}}`;
}

export function fleetJson(
  rows: readonly FleetRow[],
  counts: {
    readingsPerSecond: number;
    readingsTotal: number;
    readingsSince: number;
    openAlarms: number;
  },
) {
  let power = 0;
  let capacity = 0;
  let reporting = 0;
  for (const row of rows) {
    capacity += row.rated_kw ?? 0;
    if (row.silent) continue;
    reporting++;
    power += row.power_kw;
  }
  return {
    power_kw: round1(power),
    capacity_kw: round1(capacity),
    turbines: rows.length,
    turbines_reporting: reporting,
    readings_per_second: counts.readingsPerSecond,
    readings_total: counts.readingsTotal,
    readings_since: new Date(counts.readingsSince).toISOString(),
    open_alarms: counts.openAlarms,
  };
}

export function turbineJson(turbine: LiveTurbine, silent: boolean): TurbineJson {
  const { time, ...rest } = turbine.reading;
  return {
    turbine_id: turbine.turbine_id,
    ...turbine.place,
    status: turbine.reading.status,
    power_kw: turbine.reading.power_kw,
    wind_speed_ms: turbine.reading.wind_speed_ms,
    time: new Date(time).toISOString(),
    interval_s: turbine.intervalMs === null ? null : Math.round(turbine.intervalMs / 100) / 10,
    silent,
    reading: { ...rest, time: new Date(time).toISOString() },
  };
}

/** Power now per province or project, largest first; silent turbines count as 0 kW. */
export function groupPower(rows: readonly FleetRow[], by: "province" | "project") {
  const groups = new Map<string, { power_kw: number; turbines: number; capacity_kw: number }>();
  for (const row of rows) {
    const name = row[by] ?? "(unknown)";
    const group = groups.get(name) ?? { power_kw: 0, turbines: 0, capacity_kw: 0 };
    group.turbines++;
    group.capacity_kw += row.rated_kw ?? 0;
    if (!row.silent) group.power_kw += row.power_kw;
    groups.set(name, group);
  }
  return [...groups.entries()]
    .map(([name, group]) => ({
      [by]: name,
      power_kw: round1(group.power_kw),
      capacity_kw: round1(group.capacity_kw),
      turbines: group.turbines,
    }))
    .sort((a, b) => b.power_kw - a.power_kw || (String(a[by]) < String(b[by]) ? -1 : 1));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
