// An in-memory Timestream behind aws-sdk-client-mock, answering in the shapes the AWS API
// documents: WriteRecords with its versioned upsert semantics and RejectedRecordsException;
// Query with ColumnInfo/Rows, TIMESTAMP text, NullValue and NextToken pages. It understands the
// few query shapes the store sends for writes and turbine reads (parsed from the SQL).
import {
  QueryCommand,
  type QueryCommandInput,
  TimestreamQueryClient,
} from "@aws-sdk/client-timestream-query";
import {
  RejectedRecordsException,
  TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from "@aws-sdk/client-timestream-write";
import { mockClient } from "aws-sdk-client-mock";
import { TimestreamStore } from "../../api/store/timestream-store.ts";

interface StoredRecord {
  dimensions: Record<string, string>;
  time: number;
  measures: Record<string, { value: string; type: string }>;
  version: number;
}

export interface FakeTimestream {
  writeClient: TimestreamWriteClient;
  queryClient: TimestreamQueryClient;
  writeMock: ReturnType<typeof mockClient>;
  queryMock: ReturnType<typeof mockClient>;
  records: Map<string, StoredRecord>;
  /** Rows per Query page, to exercise NextToken. */
  pageSize: number;
  /** The ingestion window: older than this many ms before now is rejected. */
  retentionMs: number;
  /** The clock the ingestion window is judged on: the app under test's clock. */
  now: () => number;
}

const key = (dimensions: Record<string, string>, time: number) =>
  `${JSON.stringify(Object.entries(dimensions).sort())}|${time}`;

export function timestreamText(ms: number): string {
  return `${new Date(ms).toISOString().replace("T", " ").replace("Z", "")}000000`;
}

export function createFakeTimestream(options: { now?: () => number } = {}): FakeTimestream {
  const writeClient = new TimestreamWriteClient({
    region: "eu-west-1",
    endpoint: "https://ingest.fake",
  });
  const queryClient = new TimestreamQueryClient({
    region: "eu-west-1",
    endpoint: "https://query.fake",
  });
  const fake: FakeTimestream = {
    writeClient,
    queryClient,
    writeMock: mockClient(writeClient),
    queryMock: mockClient(queryClient),
    records: new Map(),
    pageSize: 2,
    retentionMs: 24 * 3_600_000,
    now: options.now ?? Date.now,
  };
  fake.writeMock.on(WriteRecordsCommand).callsFake((input: WriteRecordsCommandInput) => {
    const common = input.CommonAttributes ?? {};
    const rejected: { RecordIndex: number; Reason: string; ExistingVersion?: number }[] = [];
    (input.Records ?? []).forEach((record, index) => {
      const dims = Object.fromEntries(
        [...(common.Dimensions ?? []), ...(record.Dimensions ?? [])].map((d) => [d.Name, d.Value]),
      );
      const time = Number(record.Time ?? common.Time);
      const version = Number(record.Version ?? 1);
      const now = fake.now();
      if (time < now - fake.retentionMs || time > now + 15 * 60_000) {
        rejected.push({
          RecordIndex: index,
          Reason: `The record timestamp is outside the time range [${new Date(now - fake.retentionMs).toISOString()}, ${new Date(now + 900_000).toISOString()}) of the data ingestion window.`,
        });
        return;
      }
      const measures = Object.fromEntries(
        (record.MeasureValues ?? []).map((m) => [
          m.Name,
          { value: m.Value as string, type: m.Type as string },
        ]),
      );
      const id = key(dims as Record<string, string>, time);
      const existing = fake.records.get(id);
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
      }
      fake.records.set(id, { dimensions: dims as Record<string, string>, time, measures, version });
    });
    if (rejected.length > 0) {
      throw new RejectedRecordsException({
        message: "One or more records have been rejected.",
        $metadata: { httpStatusCode: 419 },
        RejectedRecords: rejected,
      });
    }
    return {
      RecordsIngested: {
        Total: input.Records?.length ?? 0,
        MemoryStore: input.Records?.length ?? 0,
        MagneticStore: 0,
      },
      $metadata: {},
    };
  });
  fake.queryMock.on(QueryCommand).callsFake((input: QueryCommandInput) => answerQuery(fake, input));
  return fake;
}

function answerQuery(fake: FakeTimestream, input: QueryCommandInput) {
  const sql = input.QueryString ?? "";
  let rows = [...fake.records.values()];
  const timeMs = (name: string) =>
    Number(sql.match(new RegExp(`${name}\\s*from_milliseconds\\((\\d+)\\)`))?.[1]);
  const between = sql.match(
    /time BETWEEN from_milliseconds\((\d+)\) AND from_milliseconds\((\d+)\)/,
  );
  if (between)
    rows = rows.filter((r) => r.time >= Number(between[1]) && r.time <= Number(between[2]));
  const inList = sql.match(/turbine_id IN \(([^)]*)\)/);
  if (inList?.[1]) {
    const ids = [...inList[1].matchAll(/'([^']*)'/g)].map((m) => m[1]);
    rows = rows.filter((r) => ids.includes(r.dimensions.turbine_id));
  }
  const one = sql.match(/turbine_id = '([^']*)'/);
  if (one) rows = rows.filter((r) => r.dimensions.turbine_id === one[1]);
  if (/time >= from_milliseconds/.test(sql))
    rows = rows.filter((r) => r.time >= timeMs("time >=") && r.time < timeMs("time <"));
  rows.sort((a, b) => a.time - b.time);
  const limit = sql.match(/LIMIT (\d+)/);
  if (limit) rows = rows.slice(0, Number(limit[1]));
  if (/SELECT 1 AS ok/.test(sql)) {
    return {
      ColumnInfo: [{ Name: "ok", Type: { ScalarType: "INTEGER" } }],
      Rows: [],
      $metadata: {},
      QueryId: "q",
    };
  }

  // SELECT *: the dimension columns, measure_name, time, every measure, and time_ms.
  const dimensionNames = [...new Set(rows.flatMap((r) => Object.keys(r.dimensions)))].sort();
  const measureNames = ["power_kw", "wind_speed_ms", "status", "version"];
  const types: Record<string, string> = {
    power_kw: "DOUBLE",
    wind_speed_ms: "DOUBLE",
    status: "VARCHAR",
    version: "BIGINT",
  };
  const columns = [
    ...dimensionNames.map((Name) => ({ Name, Type: { ScalarType: "VARCHAR" } })),
    { Name: "measure_name", Type: { ScalarType: "VARCHAR" } },
    { Name: "time", Type: { ScalarType: "TIMESTAMP" } },
    ...measureNames.map((Name) => ({ Name, Type: { ScalarType: types[Name] } })),
    { Name: "time_ms", Type: { ScalarType: "BIGINT" } },
  ];
  const data = rows.map((r) => ({
    Data: [
      ...dimensionNames.map((name) =>
        r.dimensions[name] === undefined
          ? { NullValue: true }
          : { ScalarValue: r.dimensions[name] },
      ),
      { ScalarValue: "reading" },
      { ScalarValue: timestreamText(r.time) },
      ...measureNames.map((name) =>
        r.measures[name] ? { ScalarValue: r.measures[name].value } : { NullValue: true },
      ),
      { ScalarValue: String(r.time) },
    ],
  }));
  // Pages of `pageSize` rows, the token being the next offset.
  const offset = Number(input.NextToken ?? 0);
  const page = data.slice(offset, offset + fake.pageSize);
  const next = offset + fake.pageSize < data.length ? String(offset + fake.pageSize) : undefined;
  return { ColumnInfo: columns, Rows: page, NextToken: next, QueryId: "q", $metadata: {} };
}

/** A TimestreamStore (database gust, table readings) over `fake`'s clients. */
export function storeOnFake(fake: FakeTimestream, maxAgeMs = 7 * 86_400_000): TimestreamStore {
  return new TimestreamStore({
    database: "gust",
    table: "readings",
    writeClient: fake.writeClient,
    queryClient: fake.queryClient,
    writeWindow: { maxAgeMs, maxFutureMs: 900_000 },
  });
}
