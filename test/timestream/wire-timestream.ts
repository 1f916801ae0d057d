// A fake Amazon Timestream ON THE WIRE: a loopback HTTP server speaking the awsJson1_0 protocol
// (POST /, X-Amz-Target: Timestream_20181101.<Operation>, errors as {"__type", "message"} with
// the status the service model declares) that the real @aws-sdk/client-timestream-write and
// -query reach through their `endpoint` setting (which turns endpoint discovery off).
//
// It behaves as AWS documents, not as gust expects:
// - WriteRecords: identity = every dimension + time + measure name; an identical record is a
//   no-op; a higher Version replaces; other values with a version not higher are rejected WITH
//   ExistingVersion; a time outside [now - memory retention, now + 15 min] or a record over the
//   limits is rejected WITHOUT it (RejectedRecordsException, HTTP 419, RecordIndex per record).
//   The limits as the quotas page states them: a record at most 2 KB sized as metered (8 bytes
//   of time; names and string values in UTF-8 bytes; 8 bytes a BIGINT, DOUBLE or TIMESTAMP, 1 a
//   BOOLEAN), 2 KB of dimension names and values per series, 128 dimension names PER TABLE
//   (every name any record has written), 256 measures a record, 100 records a call, and a name
//   is a dimension or a measure in a table, never both.
// - Query: a column no record has written yet is a ValidationException "line 1:N: Column 'x'
//   does not exist"; writes become visible to queries only `visibilityDelayMs` after they are
//   acknowledged (eventual consistency, ON by default: a test that reads right after a write
//   says why it may turn it off); rows come in pages (NextToken); `DESCRIBE` lists the columns.
// - DescribeTable answers the table's retention (memoryRetentionMs, in whole hours).
// - `billing` counts what AWS bills: WriteRecords calls, write units (each call's size, common
//   attributes once, in 1 KiB units, as the metering page computes them), records and queries.
// - `throttleNext` calls answer ThrottlingException (429); `hangNext` calls never answer.
// - It runs the lookup and readings queries (SELECT *, by turbine and time) and the turbine
//   status query (each turbine's latest record and its count since a time); queries it cannot
//   interpret (analysis SQL) go to `answerQuery`, after the column check.
import { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { TimestreamWriteClient } from "@aws-sdk/client-timestream-write";
import { AwsError, HANG, startAwsJsonServer } from "../support/aws-json-server.ts";

export interface WireRecord {
  dimensions: Record<string, string>;
  measureName: string;
  time: number;
  measures: Record<string, { value: string; type: string }>;
  version: number;
  /** When queries start to see it (epoch ms). */
  visibleAt: number;
}

type Row = { Data: ({ ScalarValue: string } | { NullValue: true })[] };
export interface CannedAnswer {
  columns: { Name: string; ScalarType: string }[];
  rows: (string | null)[][];
}

/** What AWS bills, counted per call (the cost benchmark multiplies it by the prices). */
export interface WireBilling {
  writeCalls: number;
  /** Write units: each call's metered size in 1 KiB units, rounded up. */
  writeUnits: number;
  writeBytes: number;
  records: number;
  queries: number;
  describeTable: number;
}

/** Default delay before a write is visible to queries (Timestream documents no bound). */
export const DEFAULT_VISIBILITY_DELAY_MS = 1_000;

export interface WireTimestream {
  url: string;
  records: Map<string, WireRecord>;
  /** Every call: its operation and JSON body, in arrival order. */
  calls: { operation: string; body: any }[];
  visibilityDelayMs: number;
  memoryRetentionMs: number;
  pageSize: number;
  throttleNext: number;
  hangNext: number;
  answerQuery?: (sql: string) => CannedAnswer | undefined;
  /** The clock the ingestion window and visibility are judged on: the app under test's clock. */
  now: () => number;
  /** The table's columns by kind: a name is a dimension or a measure, never both. */
  dimensionNames: Set<string>;
  measureNames: Set<string>;
  billing: WireBilling;
  writeClient(): TimestreamWriteClient;
  queryClient(): TimestreamQueryClient;
  close(): Promise<void>;
}

const MAX_RECORDS = 100;
const MAX_RECORD_BYTES = 2048;
const MAX_DIMENSION_BYTES = 2048;
const MAX_DIMENSIONS = 128;
const MAX_MEASURES = 256;
const MAX_FUTURE_MS = 15 * 60_000;
// The columns gust's queries name bare (unquoted); a quoted "name" is checked too.
const BARE_COLUMNS = ["turbine_id", "power_kw", "wind_speed_ms", "status", "version"];

export async function startWireTimestream(
  options: { now?: () => number; visibilityDelayMs?: number } = {},
): Promise<WireTimestream> {
  const fake: Omit<WireTimestream, "url" | "writeClient" | "queryClient" | "close"> = {
    now: options.now ?? Date.now,
    records: new Map(),
    calls: [],
    dimensionNames: new Set(),
    measureNames: new Set(),
    billing: {
      writeCalls: 0,
      writeUnits: 0,
      writeBytes: 0,
      records: 0,
      queries: 0,
      describeTable: 0,
    },
    visibilityDelayMs: options.visibilityDelayMs ?? DEFAULT_VISIBILITY_DELAY_MS,
    memoryRetentionMs: 24 * 3_600_000,
    pageSize: 1000,
    throttleNext: 0,
    hangNext: 0,
  };

  const server = await startAwsJsonServer({
    errorNamespace: "com.amazonaws.timestream.v20181101",
    onCall: (operation, body) => fake.calls.push({ operation, body }),
    handle(operation, body) {
      if (fake.hangNext > 0) {
        fake.hangNext--;
        return HANG;
      }
      if (fake.throttleNext > 0) {
        fake.throttleNext--;
        throw new AwsError(429, "ThrottlingException", "Rate exceeded");
      }
      if (operation === "WriteRecords") return writeRecords(fake, body);
      if (operation === "Query") return query(fake, body);
      if (operation === "DescribeTable") {
        fake.billing.describeTable++;
        return {
          Table: {
            DatabaseName: body.DatabaseName,
            TableName: body.TableName,
            TableStatus: "ACTIVE",
            RetentionProperties: {
              MemoryStoreRetentionPeriodInHours: Math.round(fake.memoryRetentionMs / 3_600_000),
              MagneticStoreRetentionPeriodInDays: 73_000,
            },
          },
        };
      }
      throw new AwsError(400, "ValidationException", `unknown operation ${operation}`);
    },
  });
  const url = server.url;
  const clientConfig = {
    region: "eu-west-1",
    endpoint: url,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wire-fake" },
    maxAttempts: 1,
  };
  return Object.assign(fake, {
    url,
    writeClient: () => new TimestreamWriteClient(clientConfig),
    queryClient: () => new TimestreamQueryClient(clientConfig),
    close: () => server.close(),
  });
}

function recordKey(dimensions: Record<string, string>, measureName: string, time: number): string {
  return `${JSON.stringify(Object.entries(dimensions).sort())}|${measureName}|${time}`;
}

function writeRecords(
  fake: Omit<WireTimestream, "url" | "writeClient" | "queryClient" | "close">,
  body: any,
) {
  const records: any[] = body.Records ?? [];
  if (records.length < 1 || records.length > MAX_RECORDS) {
    throw new AwsError(
      400,
      "ValidationException",
      `Records must hold 1 to ${MAX_RECORDS} records.`,
    );
  }
  const common = body.CommonAttributes ?? {};
  const rejected: { RecordIndex: number; Reason: string; ExistingVersion?: number }[] = [];
  const now = fake.now();
  let writeBytes = 0;
  records.forEach((record, index) => {
    const dimensionList: { Name: string; Value: string }[] = [
      ...(common.Dimensions ?? []),
      ...(record.Dimensions ?? []),
    ];
    const measureList: { Name: string; Value: string; Type: string }[] =
      record.MeasureValues ?? common.MeasureValues ?? [];
    const nameBytes = (list: { Name: string; Value: string }[]) =>
      list.reduce((sum, d) => sum + Buffer.byteLength(d.Name) + Buffer.byteLength(d.Value), 0);
    const dimensionBytes = nameBytes(dimensionList);
    const measureName: string = record.MeasureName ?? common.MeasureName ?? "";
    const measureBytes = measureList.reduce(
      (sum, m) => sum + Buffer.byteLength(m.Name) + valueBytes(m.Type, m.Value),
      0,
    );
    const recordBytes = 8 + dimensionBytes + Buffer.byteLength(measureName) + measureBytes;
    // Billed once per call: the record's own part, and common dimensions once (below).
    writeBytes += recordBytes - nameBytes(common.Dimensions ?? []);
    const newDimensions = dimensionList.filter((d) => !fake.dimensionNames.has(d.Name));
    const clash =
      dimensionList.find((d) => fake.measureNames.has(d.Name))?.Name ??
      measureList.find(
        (m) => fake.dimensionNames.has(m.Name) || dimensionList.some((d) => d.Name === m.Name),
      )?.Name;
    const limit =
      measureList.length > MAX_MEASURES
        ? `The record has more than ${MAX_MEASURES} measures.`
        : dimensionBytes > MAX_DIMENSION_BYTES
          ? `The dimensions of the record exceed the maximum size of ${MAX_DIMENSION_BYTES} bytes.`
          : recordBytes > MAX_RECORD_BYTES
            ? `The record exceeds the maximum record size of ${MAX_RECORD_BYTES} bytes.`
            : fake.dimensionNames.size + new Set(newDimensions.map((d) => d.Name)).size >
                MAX_DIMENSIONS
              ? `The table would have more than ${MAX_DIMENSIONS} dimensions.`
              : clash !== undefined
                ? `The attribute name ${clash} is used both as a dimension and as a measure.`
                : undefined;
    if (limit) {
      rejected.push({ RecordIndex: index, Reason: limit });
      return;
    }
    const unit = record.TimeUnit ?? common.TimeUnit ?? "MILLISECONDS";
    if (unit !== "MILLISECONDS") throw new AwsError(400, "ValidationException", "fake: ms only");
    const time = Number(record.Time ?? common.Time);
    if (time < now - fake.memoryRetentionMs || time > now + MAX_FUTURE_MS) {
      rejected.push({
        RecordIndex: index,
        Reason: `The record timestamp is outside the time range [${new Date(now - fake.memoryRetentionMs).toISOString()}, ${new Date(now + MAX_FUTURE_MS).toISOString()}) of the data ingestion window.`,
      });
      return;
    }
    for (const d of dimensionList) fake.dimensionNames.add(d.Name);
    for (const m of measureList) fake.measureNames.add(m.Name);
    const dimensions = Object.fromEntries(dimensionList.map((d) => [d.Name, d.Value]));
    const measures = Object.fromEntries(
      measureList.map((m) => [m.Name, { value: m.Value, type: m.Type }]),
    );
    const version = Number(record.Version ?? common.Version ?? 1);
    const key = recordKey(dimensions, measureName, time);
    const existing = fake.records.get(key);
    if (existing) {
      const same = JSON.stringify(existing.measures) === JSON.stringify(measures);
      if (version < existing.version || (version === existing.version && !same)) {
        rejected.push({
          RecordIndex: index,
          Reason:
            "A record with the same dimensions, timestamp, and measure name but a different measure value or a higher version already exists.",
          ExistingVersion: existing.version,
        });
        return;
      }
      if (version === existing.version) return; // identical: a no-op
    }
    fake.records.set(key, {
      dimensions,
      measureName,
      time,
      measures,
      version,
      visibleAt: now + fake.visibilityDelayMs,
    });
  });
  writeBytes += [...(common.Dimensions ?? [])].reduce(
    (sum: number, d: { Name: string; Value: string }) =>
      sum + Buffer.byteLength(d.Name) + Buffer.byteLength(d.Value),
    0,
  );
  fake.billing.writeCalls++;
  fake.billing.records += records.length;
  fake.billing.writeBytes += writeBytes;
  fake.billing.writeUnits += Math.max(1, Math.ceil(writeBytes / 1024));
  if (rejected.length > 0) {
    throw new AwsError(419, "RejectedRecordsException", "One or more records have been rejected.", {
      RejectedRecords: rejected,
    });
  }
  return {
    RecordsIngested: { Total: records.length, MemoryStore: records.length, MagneticStore: 0 },
  };
}

/** A measure value's metered size: 8 bytes a number or time, 1 a boolean, a string its bytes. */
function valueBytes(type: string, value: string): number {
  if (type === "BOOLEAN") return 1;
  if (type === "VARCHAR") return Buffer.byteLength(value);
  return 8;
}

function query(
  fake: Omit<WireTimestream, "url" | "writeClient" | "queryClient" | "close">,
  body: any,
) {
  const sql: string = body.QueryString ?? "";
  if (!body.NextToken) fake.billing.queries++;
  if (/^DESCRIBE /.test(sql)) return describe(fake);
  const now = fake.now();
  const visible = [...fake.records.values()].filter((r) => r.visibleAt <= now);
  // Columns exist once any record (visible or not: the schema is updated on write) has them.
  const columns = new Set(["time", "measure_name"]);
  for (const r of fake.records.values()) {
    for (const name of Object.keys(r.dimensions)) columns.add(name);
    for (const name of Object.keys(r.measures)) columns.add(name);
  }
  const withoutStrings = sql.replace(/'(?:[^']|'')*'/g, "''");
  const named = [
    ...[...withoutStrings.matchAll(/(?<![.\w])"([^"]+)"(?!\.)/g)].map((m) => ({
      name: m[1] as string,
      at: m.index ?? 0,
    })),
    ...BARE_COLUMNS.flatMap((name) =>
      [...withoutStrings.matchAll(new RegExp(`(?<!["\\w])${name}(?!["\\w])`, "g"))].map((m) => ({
        name,
        at: m.index ?? 0,
      })),
    ),
  ].sort((a, b) => a.at - b.at);
  for (const { name, at } of named) {
    if (!columns.has(name)) {
      const before = withoutStrings.slice(0, at).split("\n");
      throw new AwsError(
        400,
        "ValidationException",
        `line ${before.length}:${(before.at(-1)?.length ?? 0) + 1}: Column '${name}' does not exist`,
      );
    }
  }

  let answer: CannedAnswer;
  if (/^SELECT 1 AS ok/.test(sql)) {
    answer = { columns: [{ Name: "ok", ScalarType: "INTEGER" }], rows: [] };
  } else if (/^SELECT \*, to_milliseconds\(time\) AS time_ms/.test(sql)) {
    answer = selectStar(visible, [...fake.records.values()], sql);
  } else if (/^WITH latest AS \(/.test(sql) && /l\.readings_24h/.test(sql)) {
    answer = turbineStatus(visible, [...fake.records.values()], sql);
  } else {
    const canned = fake.answerQuery?.(sql);
    if (!canned) throw new AwsError(400, "ValidationException", `fake cannot run: ${sql}`);
    answer = canned;
  }
  const data: Row[] = answer.rows.map((row) => ({
    Data: row.map((value) => (value === null ? { NullValue: true } : { ScalarValue: value })),
  }));
  const offset = Number(body.NextToken ?? 0);
  const next = offset + fake.pageSize < data.length ? String(offset + fake.pageSize) : undefined;
  return {
    QueryId: `q${fake.calls.length}`,
    ColumnInfo: answer.columns.map(({ Name, ScalarType }) => ({ Name, Type: { ScalarType } })),
    Rows: data.slice(offset, offset + fake.pageSize),
    ...(next ? { NextToken: next } : {}),
  };
}

/** DESCRIBE "db"."table": one row per column, with its type and Timestream attribute type. */
function describe(fake: Omit<WireTimestream, "url" | "writeClient" | "queryClient" | "close">) {
  const types = new Map<string, string>();
  for (const r of fake.records.values())
    for (const [name, m] of Object.entries(r.measures)) types.set(name, m.type);
  const rows: string[][] = [
    ...[...fake.dimensionNames].sort().map((name) => [name, "varchar", "DIMENSION"]),
    ["measure_name", "varchar", "MEASURE_NAME"],
    ["time", "timestamp", "TIMESTAMP"],
    ...[...fake.measureNames]
      .sort()
      .map((name) => [name, (types.get(name) ?? "DOUBLE").toLowerCase(), "MULTI"]),
  ];
  return {
    QueryId: `q${fake.calls.length}`,
    ColumnInfo: ["Column", "Type", "Timestream attribute type"].map((Name) => ({
      Name,
      Type: { ScalarType: "VARCHAR" },
    })),
    Rows: rows.map((row) => ({ Data: row.map((ScalarValue) => ({ ScalarValue })) })),
  };
}

/** The lookup and readings queries: SELECT *, filtered by turbine and time as the SQL says. */
function selectStar(records: WireRecord[], all: WireRecord[], sql: string): CannedAnswer {
  let rows = records;
  const spans = [
    ...sql.matchAll(
      /turbine_id = '((?:[^']|'')*)' AND time BETWEEN from_milliseconds\((\d+)\) AND from_milliseconds\((\d+)\)/g,
    ),
  ];
  if (spans.length > 0) {
    rows = rows.filter((r) =>
      spans.some(
        ([, id, from, to]) =>
          r.dimensions.turbine_id === id?.replaceAll("''", "'") &&
          r.time >= Number(from) &&
          r.time <= Number(to),
      ),
    );
  } else {
    const one = /turbine_id = '((?:[^']|'')*)'/.exec(sql);
    if (one) rows = rows.filter((r) => r.dimensions.turbine_id === one[1]?.replaceAll("''", "'"));
    const from = /time >= from_milliseconds\((\d+)\)/.exec(sql);
    const to = /time < from_milliseconds\((\d+)\)/.exec(sql);
    if (from) rows = rows.filter((r) => r.time >= Number(from[1]));
    if (to) rows = rows.filter((r) => r.time < Number(to[1]));
  }
  rows = [...rows].sort((a, b) => a.time - b.time);
  const limit = /LIMIT (\d+)/.exec(sql);
  if (limit) rows = rows.slice(0, Number(limit[1]));
  const dimensionNames = [...new Set(all.flatMap((r) => Object.keys(r.dimensions)))].sort();
  const measureTypes = new Map<string, string>();
  for (const r of all)
    for (const [name, m] of Object.entries(r.measures)) measureTypes.set(name, m.type);
  const measureNames = [...measureTypes.keys()].sort();
  return {
    columns: [
      ...dimensionNames.map((Name) => ({ Name, ScalarType: "VARCHAR" })),
      { Name: "measure_name", ScalarType: "VARCHAR" },
      { Name: "time", ScalarType: "TIMESTAMP" },
      ...measureNames.map((Name) => ({ Name, ScalarType: measureTypes.get(Name) as string })),
      { Name: "time_ms", ScalarType: "BIGINT" },
    ],
    rows: rows.map((r) => [
      ...dimensionNames.map((name) => r.dimensions[name] ?? null),
      r.measureName,
      `${new Date(r.time).toISOString().replace("T", " ").replace("Z", "")}000000`,
      ...measureNames.map((name) => r.measures[name]?.value ?? null),
      String(r.time),
    ]),
  };
}

/**
 * The turbine status query (api/queries/turbine-status.ts): per turbine, the record at its
 * latest time since `since` (optionally only the turbines IN the list), with readings_24h, the
 * count of its records since the CASE's time.
 */
function turbineStatus(records: WireRecord[], all: WireRecord[], sql: string): CannedAnswer {
  const since = Number(/WHERE time >= from_milliseconds\((\d+)\)/.exec(sql)?.[1] ?? 0);
  const recent = Number(/CASE WHEN time >= from_milliseconds\((\d+)\)/.exec(sql)?.[1] ?? 0);
  const only = /turbine_id IN \(([^)]*)\)/.exec(sql)?.[1];
  const ids = only
    ? new Set(
        [...only.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] as string).replaceAll("''", "'")),
      )
    : null;
  const latest = new Map<string, WireRecord>();
  const counts = new Map<string, number>();
  for (const r of records) {
    const id = r.dimensions.turbine_id as string;
    if (r.time < since || (ids && !ids.has(id))) continue;
    if (r.time >= recent) counts.set(id, (counts.get(id) ?? 0) + 1);
    const known = latest.get(id);
    if (!known || r.time > known.time) latest.set(id, r);
  }
  const rows = selectStar([...latest.values()], all, "");
  const turbineColumn = rows.columns.findIndex((c) => c.Name === "turbine_id");
  return {
    columns: [...rows.columns, { Name: "readings_24h", ScalarType: "BIGINT" }],
    rows: rows.rows.map((row) => [...row, String(counts.get(String(row[turbineColumn])) ?? 0)]),
  };
}
