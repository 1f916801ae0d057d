// Applying the rules to one turbine against the alarms open now, and deciding what opens and
// what closes. Both evaluators share it: the local engine (engine.ts, driven by the live hub)
// and the scheduled one on Lambda (scheduled.ts, driven by an EventBridge rule every minute).
import { randomUUID } from "node:crypto";
import type { Alarm, AlarmRule } from "../live/alarm.ts";
import type { LiveTurbine } from "../live/turbine.ts";
import type { AlarmRules } from "./config.ts";
import { evaluate, type TurbineAlarmState } from "./rules.ts";
import type { AlarmChange } from "./store.ts";

export interface TurbineJudgement {
  turbineId: string;
  /** Undefined for a turbine with no reading known (only rejected ones so far). */
  turbine: LiveTurbine | undefined;
  state: TurbineAlarmState;
  /** Is the turbine silent now (isSilent, api/live/silence.ts)? */
  silent: boolean;
  settings: AlarmRules;
  now: number;
}

/** The open alarms, one per turbine and rule at most. */
export class OpenAlarms {
  private readonly byKey = new Map<string, Alarm>();

  constructor(open: Iterable<Alarm> = []) {
    for (const alarm of open) this.byKey.set(key(alarm.turbine_id, alarm.rule), alarm);
  }

  values(): IterableIterator<Alarm> {
    return this.byKey.values();
  }

  /** Judges `rules` for one turbine; appends what opens or closes to `changes`. */
  judge(input: TurbineJudgement, rules: readonly AlarmRule[], changes: AlarmChange[]): void {
    const { turbineId, turbine, state, settings, now, silent } = input;
    for (const rule of rules) {
      const verdict = evaluate(rule, turbine, state, settings, now, silent);
      if (verdict === undefined) continue;
      const k = key(turbineId, rule);
      const open = this.byKey.get(k);
      if (verdict && !open) {
        const alarm: Alarm = {
          id: randomUUID(),
          turbine_id: turbineId,
          rule,
          opened_at: now,
          closed_at: null,
          detail: verdict.detail,
          reading: verdict.reading,
        };
        this.byKey.set(k, alarm);
        changes.push({ kind: "opened", alarm });
      } else if (!verdict && open) {
        this.byKey.delete(k);
        changes.push({ kind: "closed", alarm: { ...open, closed_at: now } });
      }
    }
  }
}

function key(turbineId: string, rule: AlarmRule): string {
  return `${turbineId}\u0000${rule}`;
}
