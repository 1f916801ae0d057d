// The scheduled evaluation's function: an EventBridge rule invokes it every minute with a
// Scheduled Event, and it runs api/alarms/scheduled.ts with the same store of readings, registry
// and alarm table as the API function (built once per container, as there). A function of its
// own rather than a branch of the API's: the API's bundle (and cold start) carries none of the
// rules, the webhook or the alarm writes; its IAM may write alarms and read the webhook's secret
// while the API's may not; and a minute's evaluation gets a timeout of its own.
import type { Context } from "aws-lambda";
import { readAlarmRules } from "./alarms/config.ts";
import { DynamoDbLastSeen } from "./alarms/dynamodb-last-seen.ts";
import { DynamoDbAlarmStore } from "./alarms/dynamodb-store.ts";
import { alarmTableFromEnv, readLambdaWebhookConfig } from "./alarms/lambda-env.ts";
import { evaluateAlarmsOnSchedule, type ScheduledEvaluation } from "./alarms/scheduled.ts";
import type { SecretClients } from "./auth/secret-aws.ts";
import { log } from "./log.ts";
import { openDynamoDbRegistryFromEnv } from "./registry/dynamodb-env.ts";
import type { TurbineRegistry } from "./registry/port.ts";
import { type Clock, systemClock } from "./time/clock.ts";
import { withDeadline } from "./time/deadline.ts";

/** Time kept back from the Lambda timeout to finish writing the outbox. */
const MARGIN_MS = 2000;

export type ScheduleHandler = (event: unknown, context: Context) => Promise<ScheduledEvaluation>;

export interface ScheduleDeps {
  lastSeen?: DynamoDbLastSeen;
  registry?: TurbineRegistry;
  alarms?: DynamoDbAlarmStore;
  secretClients?: SecretClients;
  clock?: Clock;
}

export async function createScheduleHandler(
  env: NodeJS.ProcessEnv,
  deps: ScheduleDeps = {},
): Promise<ScheduleHandler> {
  const registry = deps.registry ?? openDynamoDbRegistryFromEnv(env);
  const alarms = deps.alarms ?? openAlarmStore(env, deps.clock);
  const lastSeen = deps.lastSeen ?? openLastSeen(env, deps.clock);
  const rules = readAlarmRules(env);
  const webhook = await readLambdaWebhookConfig(env, deps.secretClients?.secretsManager);
  return async (event, context) => {
    if (!isScheduledEvent(event)) {
      throw new Error(
        "This function evaluates alarms on EventBridge's Scheduled Event only; HTTP requests go to the API function.",
      );
    }
    const remaining = context.getRemainingTimeInMillis() - MARGIN_MS;
    const clock = deps.clock ?? systemClock;
    const result = await withDeadline(clock.now() + remaining, () =>
      evaluateAlarmsOnSchedule({
        lastSeen,
        listTurbines: () => registry.list(),
        alarms,
        rules,
        webhook,
        now: clock.now,
        deliverUntil: clock.now() + remaining,
      }),
    );
    // One line per run in the function's JSON log: what the schedule did.
    log.info("alarms evaluated", { ...result });
    return result;
  };
}

function alarmTable(env: NodeJS.ProcessEnv) {
  const table = alarmTableFromEnv(env);
  if (!table) {
    throw new Error(
      "ALARM_TABLE is not set: the scheduled evaluation needs the alarm table (see docs/aws.md).",
    );
  }
  return table;
}

function openAlarmStore(env: NodeJS.ProcessEnv, clock?: Clock): DynamoDbAlarmStore {
  const table = alarmTable(env);
  return new DynamoDbAlarmStore(table.client, table.table, clock);
}

function openLastSeen(env: NodeJS.ProcessEnv, clock?: Clock): DynamoDbLastSeen {
  const table = alarmTable(env);
  return new DynamoDbLastSeen(table.client, table.table, clock);
}

/** EventBridge's event for a schedule rule: source aws.events, detail-type Scheduled Event. */
function isScheduledEvent(event: unknown): boolean {
  const e = event as { source?: unknown; "detail-type"?: unknown } | null;
  return e?.source === "aws.events" && e["detail-type"] === "Scheduled Event";
}
