// The simulator's episodic defects (icing, derating) as the truth the deficit periods are scored
// on: planted hours, joined into episodes, and precision and recall of detected periods.
//
// A planted hour counts (is detectable) when the defect was on for at least half of it (three
// 10-minute readings), the turbine would have made at least 15% of rated power without it, and
// it made under 85% of that: below those the defect changes nothing a power curve can see (no
// wind, or a cap above what the wind gives). Adjacent counted hours of a turbine make an
// episode; an episode of one hour is left out, as the analysis drops one-hour periods.
import type { DeficitPeriod } from "../../api/analyses/deficits.ts";
import type { PlantedEffect } from "../../simulator/scada/episodes.ts";

const HOUR = 3_600_000;

export interface Episode {
  turbine_id: string;
  kind: "icing" | "derating";
  fromHour: number;
  toHour: number;
}

export function plantedEpisodes(
  effects: readonly PlantedEffect[],
  ratedKw: ReadonlyMap<string, number>,
): Episode[] {
  const hours = new Map<
    string,
    { kind: Episode["kind"]; power: number; clean: number; n: number }
  >();
  for (const e of effects) {
    const key = `${e.turbine_id}@${Math.floor(e.time / HOUR)}`;
    const h = hours.get(key) ?? { kind: e.kind, power: 0, clean: 0, n: 0 };
    h.power += e.powerKw;
    h.clean += e.unaffectedKw;
    h.n++;
    hours.set(key, h);
  }
  const counted = [...hours]
    .filter(([key, h]) => {
      const rated = ratedKw.get(key.split("@")[0] as string) ?? 0;
      return h.n >= 3 && h.clean / h.n >= 0.15 * rated && h.power < 0.85 * h.clean;
    })
    .map(([key, h]) => {
      const [id, hour] = key.split("@") as [string, string];
      return { turbine_id: id, kind: h.kind, hour: Number(hour) };
    })
    .sort((a, b) => a.turbine_id.localeCompare(b.turbine_id) || a.hour - b.hour);
  const episodes: Episode[] = [];
  for (const h of counted) {
    const last = episodes[episodes.length - 1];
    if (last && last.turbine_id === h.turbine_id && last.toHour === h.hour && last.kind === h.kind)
      last.toHour = h.hour + 1;
    else
      episodes.push({
        turbine_id: h.turbine_id,
        kind: h.kind,
        fromHour: h.hour,
        toHour: h.hour + 1,
      });
  }
  return episodes.filter((e) => e.toHour - e.fromHour >= 2);
}

export interface Score {
  episodes: number;
  found: number;
  /** Found with the right cause. */
  foundWithCause: number;
  periods: number;
  /** Periods that overlap an hour the defect was on (counted or not) on the same turbine. */
  truePeriods: number;
  /** Periods on turbines without an episodic defect. */
  periodsOnHealthy: number;
}

export function score(
  episodes: readonly Episode[],
  effects: readonly PlantedEffect[],
  periods: readonly DeficitPeriod[],
  episodicTurbines: ReadonlySet<string>,
): Score {
  const span = (p: DeficitPeriod) => [Date.parse(p.from) / HOUR, Date.parse(p.to) / HOUR];
  const overlapping = (e: Episode) =>
    periods.filter((p) => {
      const [from, to] = span(p) as [number, number];
      return p.turbine_id === e.turbine_id && from < e.toHour && to > e.fromHour;
    });
  const onHours = new Set(effects.map((e) => `${e.turbine_id}@${Math.floor(e.time / HOUR)}`));
  let truePeriods = 0;
  for (const p of periods) {
    const [from, to] = span(p) as [number, number];
    for (let h = from; h < to; h++) {
      if (onHours.has(`${p.turbine_id}@${h}`)) {
        truePeriods++;
        break;
      }
    }
  }
  return {
    episodes: episodes.length,
    found: episodes.filter((e) => overlapping(e).length > 0).length,
    foundWithCause: episodes.filter((e) => overlapping(e).some((p) => p.cause === e.kind)).length,
    periods: periods.length,
    truePeriods,
    periodsOnHealthy: periods.filter((p) => !episodicTurbines.has(p.turbine_id)).length,
  };
}
