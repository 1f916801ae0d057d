// The Lambda side of the app: the same app, the Timestream store (or InfluxDB with
// STORE=influxdb), the DynamoDB registry and the key secret from AWS, all built once per
// container. Each invocation gets a deadline from its remaining time, so
// store retries stop in time to answer 503 rather than time out.
//
// A turbine's POST /v1/measurements is answered by the write path directly (api/lambda-ingest.ts);
// the Hono app, with every other route, is imported and built on the first other request.
//
// Alarms on Lambda: GET /v1/alarms and the polled snapshot read the alarm table, and rejected
// readings are counted there; a second function built from the same sources
// (api/lambda-schedule-handler.ts) evaluates the rules every minute (docs/live-and-alarms.md, "What differs on
// Lambda").
import type { Context } from "aws-lambda";
import { readAlarmRules } from "./alarms/config.ts";
import { DynamoDbLastSeen } from "./alarms/dynamodb-last-seen.ts";
import { DynamoDbAlarmReader } from "./alarms/dynamodb-store.ts";
import { alarmTableFromEnv } from "./alarms/lambda-env.ts";
import { lastSeenChanges } from "./alarms/last-seen.ts";
import { recordSnapshots } from "./alarms/records-snapshot.ts";
import { loadCloudSecret, type SecretClients } from "./auth/secret-aws.ts";
import { booleanFlag, positiveInteger } from "./config.ts";
import { handle } from "./lambda-adapter.ts";
import { answerIngest, isDirectIngest } from "./lambda-ingest.ts";
import { placeOf } from "./live/places.ts";
import { storeSnapshots } from "./live/store-snapshot.ts";
import { type AnswerPublisher, iotAnswerPublisher } from "./mqtt/iot-answers.ts";
import { answerIotRule, isIotRuleEvent } from "./mqtt/iot-rule.ts";
import { openDynamoDbRegistryFromEnv } from "./registry/dynamodb-env.ts";
import type { TurbineRegistry } from "./registry/port.ts";
import type { AppDeps } from "./routes/deps.ts";
import { openCloudStore } from "./store/cloud-store.ts";
import type { Reading, ReadingStore } from "./store/port.ts";
import { type Clock, systemClock } from "./time/clock.ts";
import { withDeadline } from "./time/deadline.ts";

/** Time kept back from the Lambda timeout to write the 503 answer. */
const ANSWER_MARGIN_MS = 1000;

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LambdaDeps {
  store?: ReadingStore;
  registry?: TurbineRegistry;
  /** The alarm table (tests); from ALARM_TABLE otherwise. */
  alarms?: DynamoDbAlarmReader | null;
  /** The turbines' last-seen records (tests); in the alarm table otherwise. */
  lastSeen?: DynamoDbLastSeen | null;
  secretClients?: SecretClients;
  clock?: Clock;
  /** Where answers to IoT Core publishes go (tests); from IOT_DATA_ENDPOINT otherwise. */
  publishAnswer?: AnswerPublisher;
}

export async function createLambdaHandler(
  env: NodeJS.ProcessEnv,
  deps: LambdaDeps = {},
): Promise<LambdaHandler> {
  const secret = await loadCloudSecret(env, deps.secretClients, deps.clock);
  const store = deps.store ?? (await openCloudStore(env, deps.secretClients));
  const registry = deps.registry ?? openDynamoDbRegistryFromEnv(env);
  const table = deps.alarms === undefined ? alarmTableFromEnv(env) : null;
  const alarms = table
    ? new DynamoDbAlarmReader(table.client, table.table, deps.clock)
    : (deps.alarms ?? null);
  const rules = readAlarmRules(env);
  const publishAnswer = deps.publishAnswer ?? iotAnswerPublisher(env);
  const clock = deps.clock ?? systemClock;
  const now = clock.now;
  const listTurbines = () => registry.list();
  const lastSeen =
    deps.lastSeen !== undefined
      ? deps.lastSeen
      : table
        ? new DynamoDbLastSeen(table.client, table.table, clock)
        : null;
  // Each answer's stored readings fold into their turbines' last-seen records (their places,
  // for the underperforming rule, from the registry's cache: the ingest just read them).
  const recordLastSeen = async (readings: Reading[]) => {
    if (!lastSeen) return;
    const ids = [...new Set(readings.map((reading) => reading.turbine_id))];
    const entries = await Promise.all(ids.map((id) => registry.get(id)));
    const places = new Map(ids.map((id, i) => [id, placeOf(entries[i] ?? null)]));
    await lastSeen.record(
      lastSeenChanges(readings, (id) => places.get(id) ?? placeOf(null), rules),
    );
  };
  const snapshotCacheMs = positiveInteger(env, "LIVE_SNAPSHOT_CACHE_SECONDS", 10) * 1000;
  const appDeps: AppDeps = {
    store,
    registry,
    requireRegistered: booleanFlag(env, "REQUIRE_REGISTERED"),
    keySecret: async () => secret,
    clock,
    failedKeys: "refuse",
    ...(alarms
      ? {
          alarms,
          onReadingsRejected: (rejections) => alarms.countRejections(rejections, now()),
        }
      : {}),
    ...(lastSeen ? { lastSeen, onReadingsStored: recordLastSeen } : {}),
    live: {
      // From the last-seen records where there is an alarm table (no query of the store).
      snapshot:
        lastSeen && alarms
          ? recordSnapshots({
              records: lastSeen,
              fleetPower: (since) => alarms.fleetPower(since),
              listTurbines,
              alarms,
              silentIntervals: rules.silentIntervals,
              cacheMs: snapshotCacheMs,
              now,
            })
          : storeSnapshots({
              store,
              listTurbines,
              ...(alarms ? { alarms } : {}),
              silentIntervals: rules.silentIntervals,
              cacheMs: snapshotCacheMs,
              now,
            }),
      alarmEventsSince: async (seq) => (alarms ? alarms.eventsSince(seq) : []),
    },
  };
  // One app per container, over the same dependencies as the direct route (they share the
  // failed-key throttle): built on the first request that is not a turbine's readings.
  let app: Promise<typeof import("./app.ts")> | undefined;
  const appModule = () => {
    app ??= import("./app.ts");
    return app;
  };
  let viaApp: LambdaHandler | undefined;
  const answer: LambdaHandler = async (event, context) => {
    // A message a turbine published on AWS IoT Core, handed over by the readings topic rule.
    if (isIotRuleEvent(event)) return answerIotRule(event, appDeps, publishAnswer);
    if (isDirectIngest(event)) {
      return answerIngest(event, context, appDeps, async () => (await appModule()).errorResponse);
    }
    viaApp ??= handle((await appModule()).appFor(appDeps)) as unknown as LambdaHandler;
    return viaApp(event, context);
  };
  return (event, context) =>
    withDeadline(clock.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS, () =>
      answer(event, context),
    );
}
