// What the cloud path costs, measured: the Lambda handlers (the API's and the alarm schedule's)
// with the real SDK clients against the wire fakes (test/timestream/wire-timestream.ts,
// test/registry/wire-dynamodb.ts), which count what AWS bills. The month is compressed: a
// representative stretch of CLOUD_COST_MINUTES simulated minutes (default 10) of the fleet (770
// turbines, each sending one reading a minute in its own request) is driven through the API,
// one alarm schedule run and one live snapshot are run, and each is scaled to 30 days by its
// documented rate (every count here is linear in time: nothing accumulates between minutes but
// storage, which is computed for the retention). Each simulated minute gets a fresh registry
// cache (the cache lives 30 s and a turbine sends every 60 s).
//
// The default query load: the alarm schedule once a minute (as deployed), and one live view
// open during working hours (8 h a day, 22 days a month) whose snapshot is rebuilt every 10 s.
// Both read the turbines' last-seen records in DynamoDB, which the write path keeps, and no
// Timestream query; the fakes would count one if they did.
import type { Context } from "aws-lambda";
import { DynamoDbLastSeen } from "../../api/alarms/dynamodb-last-seen.ts";
import { DynamoDbAlarmReader, DynamoDbAlarmStore } from "../../api/alarms/dynamodb-store.ts";
import { roleKey, turbineKey } from "../../api/auth/keys.ts";
import { createLambdaHandler } from "../../api/lambda-handler.ts";
import { createScheduleHandler } from "../../api/lambda-schedule-handler.ts";
import { DynamoDbRegistry } from "../../api/registry/dynamodb-registry.ts";
import { TimestreamStore } from "../../api/store/timestream-store.ts";
import { ALARM_TABLE, httpApiEvent } from "../lambda/wire-deployment.ts";
import { startWireDynamoDb } from "../registry/wire-dynamodb.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startWireTimestream } from "../timestream/wire-timestream.ts";
import type { Benchmark } from "./figure.ts";

const TURBINES = 770;
const MONTH_MINUTES = 30 * 24 * 60;
const SCHEDULE_RUNS_A_MONTH = MONTH_MINUTES;
const SNAPSHOTS_A_MONTH = (8 * 3600 * 22) / 10;
const MEMORY_RETENTION_HOURS = 168;
const SECRET = "cloud-cost-secret-0123456789abcdef";

/** Published prices, each with where it was read. US East unless said. */
export const PRICES = {
  timestreamWrite: {
    usd: 0.5 / 1e6,
    per: "1 KiB write",
    source:
      "aws.amazon.com/timestream/pricing (US East (Ohio); web.archive.org copy of 2020-07-28), read 2026-12-03",
  },
  timestreamMemory: {
    usd: 0.036,
    per: "GB-hour of memory store",
    source: "aws.amazon.com/timestream/pricing (same copy), read 2026-12-03",
  },
  timestreamMagnetic: {
    usd: 0.03,
    per: "GB-month of magnetic store",
    source: "aws.amazon.com/timestream/pricing (same copy), read 2026-12-03",
  },
  timestreamTcu: {
    usd: 0.518,
    per: "TCU-hour (at least 4 TCUs, 30 s at least a query: docs.aws.amazon.com/timestream/latest/developerguide/tcu.html)",
    source:
      "a public summary of aws.amazon.com/timestream/pricing (us-east-1), read 2026-12-03: not checked against the page itself",
  },
  dynamoWrite: {
    usd: 0.625 / 1e6,
    per: "write request unit (on-demand, 1 KB)",
    source:
      "aws.amazon.com/dynamodb/pricing/on-demand after the November 2024 cut, as quoted by airbyte.com (2025-07-21), read 2026-12-03",
  },
  dynamoRead: {
    usd: 0.125 / 1e6,
    per: "read request unit (on-demand; an eventually consistent read of 4 KB is half a unit)",
    source: "as above",
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: "Lambda request",
    source: "aws.amazon.com/lambda/pricing, not re-read in this run",
  },
  lambdaGbSecond: {
    usd: 0.0000133334,
    per: "GB-second on arm64",
    source: "aws.amazon.com/lambda/pricing, not re-read in this run",
  },
  httpApiRequest: {
    usd: 1 / 1e6,
    per: "HTTP API request (first 300 M a month)",
    source: "aws.amazon.com/api-gateway/pricing, not re-read in this run",
  },
} as const;
/** Assumed, not measured here: a warm invocation's billed time at the stack's 1024 MB. */
const LAMBDA_MS_ASSUMED = 20;
const LAMBDA_GB = 1;

interface Tally {
  calls: number;
  bytes: number;
}

export const bench: Benchmark = async (log) => {
  const minutes = Number(process.env.CLOUD_COST_MINUTES ?? 10);
  const scale = MONTH_MINUTES / minutes;
  // One clock for the handlers, the store and the fakes: deadlines and retries follow it, so a loaded
  // machine makes the run slower but never changes what it counts.
  const clock = new ManualClock(Date.now());
  const begin = clock.now();
  const timestream = await startWireTimestream({ now: clock.now, visibilityDelayMs: 0 });
  // The schedule's and the snapshot's analysis queries: counted, answered empty.
  timestream.answerQuery = () => ({ columns: [], rows: [] });
  const dynamodb = await startWireDynamoDb("turbines", { [ALARM_TABLE]: ["pk", "sk"] });
  const store = new TimestreamStore({
    database: "gust",
    table: "readings",
    writeClient: timestream.writeClient(),
    queryClient: timestream.queryClient(),
    writeWindow: { maxAgeMs: MEMORY_RETENTION_HOURS * 3_600_000, maxFutureMs: 900_000 },
    // Deadlines on the benchmark's clock: a loaded machine slows the run, never its counts.
    clock,
  });
  const registryOn = () =>
    new DynamoDbRegistry({ client: dynamodb.client(), table: "turbines", clock });
  const ids = Array.from({ length: TURBINES }, (_, i) => `nl-${String(i).padStart(4, "0")}`);
  await registryOn().putMany(
    ids.map((turbine_id, i) => ({
      turbine_id,
      description: {
        name: null,
        project: `Windpark ${i % 60}`,
        model: "Vestas V112-3.45",
        rated_kw: 3450,
        hub_height_m: 94,
        rotor_diameter_m: 112,
        latitude: 52 + (i % 100) / 100,
        longitude: 5 + (i % 70) / 100,
        commissioned: null,
        tags: { province: "Flevoland", municipality: "Zeewolde" },
      },
    })),
  );
  const lastSeenOn = () => new DynamoDbLastSeen(dynamodb.client(), ALARM_TABLE, clock);
  const dynamoMark = dynamodb.calls.length;
  const capacityMark = { ...dynamodb.capacity };
  const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

  log(`${minutes} simulated minutes of ${TURBINES} turbines, one reading a minute each`);
  let readings = 0;
  let failures = 0;
  let resent = 0;
  for (let minute = 0; minute < minutes; minute++) {
    const api = await createLambdaHandler(
      { API_KEY_SECRET: SECRET },
      {
        store,
        registry: registryOn(),
        alarms: new DynamoDbAlarmReader(dynamodb.client(), ALARM_TABLE),
        lastSeen: lastSeenOn(),
        clock,
      },
    );
    const start = begin + minute * 60_000;
    for (let next = 0; next < ids.length; next += 10) {
      await Promise.all(
        ids.slice(next, next + 10).map(async (id, j) => {
          clock.set(start + Math.floor(((next + j) * 60_000) / TURBINES));
          const event = httpApiEvent("POST", "/v1/measurements", {
            headers: {
              authorization: `Bearer ${turbineKey(SECRET, id)}`,
              "content-type": "application/json",
            },
            body: JSON.stringify({
              turbine_id: id,
              time: clock.now() - 2_000,
              power_kw: 1200 + (next % 900),
              wind_speed_ms: 8.5,
              status: "producing",
            }),
          });
          // As a gateway does: a 503 (the store did not answer in time on this loaded machine)
          // is sent again; each resend's calls are counted, as AWS would bill them.
          for (let attempt = 1; ; attempt++) {
            const answer = (await api(event as never, context)) as {
              statusCode: number;
              body: string;
            };
            if (answer.statusCode === 503 && attempt < 5) {
              resent++;
              continue;
            }
            if (answer.statusCode !== 200 || !answer.body.includes('"accepted":1')) {
              if (failures++ === 0) log(`  not accepted: ${answer.statusCode} ${answer.body}`);
            }
            break;
          }
          readings++;
        }),
      );
    }
    log(`  minute ${minute + 1}: ${readings} readings (${resent} sent again after a 503)`);
  }
  if (failures > 0) throw new Error(`${failures} readings were not accepted`);
  const write = { ...timestream.billing };
  const writeDynamo = tally(dynamodb.calls.slice(dynamoMark));
  const writeCapacity = since(dynamodb.capacity, capacityMark);

  // One schedule run and one snapshot, each on a fresh registry cache.
  const scheduleMark = {
    ts: timestream.billing.queries,
    ddb: dynamodb.calls.length,
    capacity: { ...dynamodb.capacity },
  };
  const schedule = await createScheduleHandler(
    {},
    {
      lastSeen: lastSeenOn(),
      registry: registryOn(),
      alarms: new DynamoDbAlarmStore(dynamodb.client(), ALARM_TABLE),
      clock,
    },
  );
  await schedule(
    {
      version: "0",
      id: "cost",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: new Date(clock.now()).toISOString(),
      region: "eu-west-1",
      resources: [],
      detail: {},
    } as never,
    { getRemainingTimeInMillis: () => 50_000, awsRequestId: "r" } as unknown as Context,
  );
  const scheduleQueries = timestream.billing.queries - scheduleMark.ts;
  const scheduleDynamo = tally(dynamodb.calls.slice(scheduleMark.ddb));
  const scheduleCapacity = since(dynamodb.capacity, scheduleMark.capacity);

  const snapshotMark = {
    ts: timestream.billing.queries,
    ddb: dynamodb.calls.length,
    capacity: { ...dynamodb.capacity },
  };
  const viewer = await createLambdaHandler(
    { API_KEY_SECRET: SECRET },
    {
      store,
      registry: registryOn(),
      alarms: new DynamoDbAlarmReader(dynamodb.client(), ALARM_TABLE),
      lastSeen: lastSeenOn(),
      clock,
    },
  );
  // A 503 (a query past its deadline on a loaded machine) is asked again, as a browser polls.
  let snapshot = { statusCode: 503 };
  for (let attempt = 0; attempt < 3 && snapshot.statusCode === 503; attempt++) {
    snapshot = (await viewer(
      httpApiEvent("GET", "/v1/live/snapshot", {
        headers: { authorization: `Bearer ${roleKey(SECRET, "reader")}` },
      }) as never,
      context,
    )) as { statusCode: number };
  }
  if (snapshot.statusCode !== 200) throw new Error(`snapshot answered ${snapshot.statusCode}`);
  const snapshotQueries = timestream.billing.queries - snapshotMark.ts;
  const snapshotDynamo = tally(dynamodb.calls.slice(snapshotMark.ddb));
  const snapshotCapacity = since(dynamodb.capacity, snapshotMark.capacity);

  await store.close();
  await timestream.close();
  await dynamodb.close();

  // Per 1,000 readings and per month.
  const per1000 = (n: number) => (n * 1000) / readings;
  log("");
  log(`write path, per 1,000 readings (${readings} measured):`);
  log(`  Timestream Query: ${per1000(write.queries).toFixed(1)} calls`);
  log(
    `  Timestream WriteRecords: ${per1000(write.writeCalls).toFixed(1)} calls, ${per1000(write.writeUnits).toFixed(1)} 1-KiB write units, ${Math.round(per1000(write.writeBytes)).toLocaleString("en")} metered bytes`,
  );
  for (const [operation, t] of writeDynamo)
    log(
      `  DynamoDB ${operation}: ${per1000(t.calls).toFixed(1)} calls, ${Math.round(per1000(t.bytes)).toLocaleString("en")} request bytes`,
    );
  log(
    `  DynamoDB capacity: ${per1000(writeCapacity.wru).toFixed(1)} write units, ${per1000(writeCapacity.rru).toFixed(1)} read units`,
  );
  log(`alarm schedule, per run: ${scheduleQueries} Timestream queries`);
  for (const [operation, t] of scheduleDynamo) log(`  DynamoDB ${operation}: ${t.calls} calls`);
  log(
    `  DynamoDB capacity: ${scheduleCapacity.wru} write units, ${scheduleCapacity.rru} read units`,
  );
  log(`live snapshot, per rebuild: ${snapshotQueries} Timestream queries`);
  for (const [operation, t] of snapshotDynamo) log(`  DynamoDB ${operation}: ${t.calls} calls`);
  log(
    `  DynamoDB capacity: ${snapshotCapacity.wru} write units, ${snapshotCapacity.rru} read units`,
  );

  const monthReadings = readings * scale;
  const bytesPerRecord = write.writeBytes / Math.max(1, write.records);
  const memoryGb = (TURBINES * 60 * MEMORY_RETENTION_HOURS * bytesPerRecord) / 1e9;
  const magneticGbMonth = (monthReadings * bytesPerRecord) / 1e9;
  const queriesAMonth =
    write.queries * scale +
    scheduleQueries * SCHEDULE_RUNS_A_MONTH +
    snapshotQueries * SNAPSHOTS_A_MONTH;
  // At least 4 TCUs for at least 30 s; a run's queries run side by side and share those 30 s,
  // and runs closer than 30 s apart share them too (a lower bound: longer queries cost more).
  const tcuSeconds = (runsAMonth: number, perRun: number, everySeconds: number) =>
    perRun === 0 ? 0 : 4 * runsAMonth * Math.min(everySeconds, 30);
  const tcuHours =
    (tcuSeconds(SCHEDULE_RUNS_A_MONTH, scheduleQueries, 60) +
      tcuSeconds(SNAPSHOTS_A_MONTH, snapshotQueries, 10) +
      tcuSeconds(write.queries * scale, 1, 30)) /
    3600;
  // Capacity units as the wire DynamoDB metered them (on-demand: item sizes, consistency).
  const ddb = [
    scaled(writeCapacity, scale),
    scaled(scheduleCapacity, SCHEDULE_RUNS_A_MONTH),
    scaled(snapshotCapacity, SNAPSHOTS_A_MONTH),
  ].reduce((a, b) => ({ rru: a.rru + b.rru, wru: a.wru + b.wru }));
  const invocations = monthReadings + SCHEDULE_RUNS_A_MONTH + SNAPSHOTS_A_MONTH;
  const lines: [string, number, { usd: number; per: string; source: string }][] = [
    ["Timestream writes", write.writeUnits * scale, PRICES.timestreamWrite],
    ["Timestream memory store (168 h)", memoryGb * 24 * 30, PRICES.timestreamMemory],
    ["Timestream magnetic store (a month of data)", magneticGbMonth, PRICES.timestreamMagnetic],
    ["Timestream queries (TCU-hours, lower bound)", tcuHours, PRICES.timestreamTcu],
    ["DynamoDB writes (WRU)", ddb.wru, PRICES.dynamoWrite],
    ["DynamoDB reads (RRU)", ddb.rru, PRICES.dynamoRead],
    ["Lambda requests", invocations, PRICES.lambdaRequest],
    [
      `Lambda duration (${LAMBDA_MS_ASSUMED} ms assumed, ${LAMBDA_GB} GB)`,
      (invocations * LAMBDA_MS_ASSUMED * LAMBDA_GB) / 1000,
      PRICES.lambdaGbSecond,
    ],
    ["HTTP API requests", monthReadings + SNAPSHOTS_A_MONTH, PRICES.httpApiRequest],
  ];
  log("");
  log(
    `a month (scaled x${scale.toFixed(0)} from ${minutes} minutes; ${Math.round(monthReadings).toLocaleString("en")} readings, ${Math.round(queriesAMonth).toLocaleString("en")} Timestream queries):`,
  );
  let total = 0;
  for (const [name, units, price] of lines) {
    const usd = units * price.usd;
    total += usd;
    log(
      `  ${name}: ${units.toPrecision(4)} x $${price.usd.toPrecision(3)} per ${price.per} = $${usd.toFixed(2)}  [${price.source}]`,
    );
  }
  log(`  total: $${total.toFixed(2)} a month, $${(total / TURBINES).toFixed(4)} per turbine-month`);
  return [
    {
      name: "cloud cost: Timestream queries on the write path, per 1,000 readings",
      value: per1000(write.queries),
      unit: "queries",
      target: { text: "zero queries on the write path", met: write.queries === 0 },
    },
    {
      name: "cloud cost: WriteRecords calls per 1,000 readings (one reading a request)",
      value: per1000(write.writeCalls),
      unit: "calls",
    },
    { name: "cloud cost: Timestream path, a month, 770 turbines", value: total, unit: "USD" },
    {
      name: "cloud cost: Timestream queries (TCU), a month, of the total",
      value: tcuHours * PRICES.timestreamTcu.usd,
      unit: "USD",
    },
    {
      name: "cloud cost: Timestream path, per turbine-month",
      value: total / TURBINES,
      unit: "USD",
    },
  ];
};

function since(
  now: { read: number; write: number },
  mark: { read: number; write: number },
): { rru: number; wru: number } {
  return { rru: now.read - mark.read, wru: now.write - mark.write };
}

function scaled(units: { rru: number; wru: number }, times: number) {
  return { rru: units.rru * times, wru: units.wru * times };
}

function tally(calls: readonly { operation: string; body: unknown }[]): Map<string, Tally> {
  const byOperation = new Map<string, Tally>();
  for (const { operation, body } of calls) {
    const t = byOperation.get(operation) ?? { calls: 0, bytes: 0 };
    t.calls++;
    t.bytes += Buffer.byteLength(JSON.stringify(body ?? {}));
    byOperation.set(operation, t);
  }
  return byOperation;
}
