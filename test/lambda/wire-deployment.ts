// The Lambda deployment's surroundings for tests: API Gateway's HTTP API events (payload format
// 2.0, as AWS documents them) and the wire fakes the real SDK talks to, set up as the stack
// wires them: readings in Timestream, the registry and the alarms in DynamoDB.
import { DynamoDbRegistry } from "../../api/registry/dynamodb-registry.ts";
import { TimestreamStore } from "../../api/store/timestream-store.ts";
import { type Clock, systemClock } from "../../api/time/clock.ts";
import { startWireDynamoDb, type WireDynamoDb } from "../registry/wire-dynamodb.ts";
import { startWireTimestream, type WireTimestream } from "../timestream/wire-timestream.ts";

/** An HTTP API payload format 2.0 event, as API Gateway sends it. */
export function httpApiEvent(
  method: string,
  path: string,
  options: {
    headers?: Record<string, string>;
    body?: Buffer | string;
    base64?: boolean;
    query?: string;
  } = {},
) {
  const body =
    options.body === undefined
      ? undefined
      : options.base64
        ? Buffer.from(options.body).toString("base64")
        : String(options.body);
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: options.query ?? "",
    headers: {
      host: "abc123.execute-api.eu-west-1.amazonaws.com",
      "user-agent": "turbine/1.0",
      ...options.headers,
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "turbine/1.0" },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: "23/Nov/2026:10:00:00 +0000",
      timeEpoch: 1_795_000_000_000,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.base64 ?? false,
  };
}

/** The alarm table's name in the wire DynamoDB. */
export const ALARM_TABLE = "gust-alarms";

export interface WireDeployment {
  timestream: WireTimestream;
  dynamodb: WireDynamoDb;
  store: TimestreamStore;
  registry: DynamoDbRegistry;
  close(): Promise<void>;
}

/** Wire Timestream and DynamoDB (tables "turbines" and ALARM_TABLE), and the clients on them. */
/** `clock`: the app's clock, which the fakes judge time on too (default: the machine's). */
export async function startWireDeployment(clock: Clock = systemClock): Promise<WireDeployment> {
  const [timestream, dynamodb] = await Promise.all([
    // Reads right after writes: these tests are about the deployment's parts, not consistency
    // (test/timestream/wire.test.ts covers the delay).
    startWireTimestream({ now: clock.now, visibilityDelayMs: 0 }),
    startWireDynamoDb("turbines", { [ALARM_TABLE]: ["pk", "sk"] }),
  ]);
  const store = new TimestreamStore({
    database: "gust",
    table: "readings",
    writeClient: timestream.writeClient(),
    queryClient: timestream.queryClient(),
    writeWindow: { maxAgeMs: 86_400_000, maxFutureMs: 900_000 },
    clock,
  });
  const registry = new DynamoDbRegistry({
    client: dynamodb.client(),
    table: "turbines",
    cacheMs: 0,
    clock,
  });
  return {
    timestream,
    dynamodb,
    store,
    registry,
    close: async () => {
      await store.close();
      await Promise.all([timestream.close(), dynamodb.close()]);
    },
  };
}
