// A fake Amazon DynamoDB ON THE WIRE: a loopback HTTP server speaking the awsJson1_0 protocol
// (POST /, X-Amz-Target: DynamoDB_20120810.<Operation>, errors as {"__type", "message"} with
// HTTP 400 or 500) that the real @aws-sdk/client-dynamodb reaches through its `endpoint`.
//
// It behaves as the DynamoDB API reference documents the operations the registry uses, for one
// table with partition key turbine_id:
// - GetItem, PutItem, DeleteItem (ReturnValues ALL_OLD), with ConditionExpression
//   (attribute_exists / attribute_not_exists of the key, `#name = :value`): a false condition is
//   ConditionalCheckFailedException and changes nothing.
// - Scan: pages (`scanPageSize` items here, 1 MB in AWS) with LastEvaluatedKey.
// - BatchGetItem: at most 100 keys (ValidationException), each key once; may leave keys in
//   UnprocessedKeys (`unprocessNext` calls leave half of them).
// - TransactWriteItems: at most 100 items (ValidationException), one operation per item; all
//   conditions are checked first: any false one cancels the whole transaction
//   (TransactionCanceledException with CancellationReasons, one per item, in order).
// - A wrong table name is ResourceNotFoundException; `failNext` calls answer 500.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";

type Item = Record<string, AttributeValue>;

export interface WireDynamoDb {
  url: string;
  table: string;
  items: Map<string, Item>;
  calls: { operation: string; body: any }[];
  scanPageSize: number;
  unprocessNext: number;
  failNext: number;
  /** TransactWriteItems calls so far. */
  transactions: number;
  /** Runs before the n-th (1-based) TransactWriteItems is applied: a concurrent writer. */
  beforeTransaction?: (n: number) => void;
  client(options?: { maxAttempts?: number }): DynamoDBClient;
  close(): Promise<void>;
}

class AwsError {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly message: string,
    readonly extra: object = {},
  ) {}
}

const validation = (message: string) => new AwsError(400, "ValidationException", message);

export async function startWireDynamoDb(table = "gust-registry"): Promise<WireDynamoDb> {
  const wire: WireDynamoDb = {
    transactions: 0,
    url: "",
    table,
    items: new Map(),
    calls: [],
    scanPageSize: 100,
    unprocessNext: 0,
    failNext: 0,
    client: (options = {}) =>
      new DynamoDBClient({
        endpoint: wire.url,
        region: "eu-west-1",
        credentials: { accessKeyId: "fake", secretAccessKey: "fake" },
        maxAttempts: options.maxAttempts ?? 1,
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const keyOf = (key: Item | undefined): string => {
    const id = key?.turbine_id?.S;
    if (!id || Object.keys(key ?? {}).length !== 1) {
      throw validation("The provided key element does not match the schema");
    }
    return id;
  };
  const checkTable = (name: unknown) => {
    if (name !== table)
      throw new AwsError(400, "ResourceNotFoundException", "Requested resource not found");
  };

  /** Evaluates the condition forms the registry writes; anything else is refused. */
  function holds(body: any, existing: Item | undefined): boolean {
    const expression: string | undefined = body.ConditionExpression;
    if (expression === undefined) return true;
    if (expression === "attribute_not_exists(turbine_id)") return existing === undefined;
    if (expression === "attribute_exists(turbine_id)") return existing !== undefined;
    const match = /^(#\w+) = (:\w+)$/.exec(expression);
    if (!match) throw validation(`Invalid ConditionExpression: ${expression}`);
    const name = body.ExpressionAttributeNames?.[match[1] as string];
    const value = body.ExpressionAttributeValues?.[match[2] as string];
    if (name === undefined || value === undefined) {
      throw validation(
        "An expression attribute name or value used in an expression is not defined",
      );
    }
    return existing !== undefined && JSON.stringify(existing[name]) === JSON.stringify(value);
  }

  const operations: Record<string, (body: any) => object> = {
    GetItem(body) {
      checkTable(body.TableName);
      const item = wire.items.get(keyOf(body.Key));
      return item ? { Item: item } : {};
    },
    PutItem(body) {
      checkTable(body.TableName);
      const id = keyOf({ turbine_id: body.Item?.turbine_id });
      if (!holds(body, wire.items.get(id))) {
        throw new AwsError(
          400,
          "ConditionalCheckFailedException",
          "The conditional request failed",
        );
      }
      wire.items.set(id, body.Item);
      return {};
    },
    DeleteItem(body) {
      checkTable(body.TableName);
      const id = keyOf(body.Key);
      const existing = wire.items.get(id);
      if (!holds(body, existing)) {
        throw new AwsError(
          400,
          "ConditionalCheckFailedException",
          "The conditional request failed",
        );
      }
      wire.items.delete(id);
      return body.ReturnValues === "ALL_OLD" && existing ? { Attributes: existing } : {};
    },
    Scan(body) {
      checkTable(body.TableName);
      const all = [...wire.items.entries()];
      const start = body.ExclusiveStartKey
        ? all.findIndex(([id]) => id === keyOf(body.ExclusiveStartKey)) + 1
        : 0;
      const page = all.slice(start, start + wire.scanPageSize);
      const more = start + page.length < all.length;
      return {
        Items: page.map(([, item]) => item),
        Count: page.length,
        ScannedCount: page.length,
        ...(more ? { LastEvaluatedKey: { turbine_id: { S: page.at(-1)?.[0] } } } : {}),
      };
    },
    BatchGetItem(body) {
      const tables = Object.keys(body.RequestItems ?? {});
      tables.forEach(checkTable);
      const keys: Item[] = body.RequestItems[table]?.Keys ?? [];
      if (keys.length > 100) {
        throw validation("Too many items requested for the BatchGetItem call");
      }
      const ids = keys.map(keyOf);
      if (new Set(ids).size !== ids.length)
        throw validation("Provided list of item keys contains duplicates");
      let served = ids;
      let unprocessed: string[] = [];
      if (wire.unprocessNext > 0 && ids.length > 1) {
        wire.unprocessNext--;
        served = ids.slice(0, Math.ceil(ids.length / 2));
        unprocessed = ids.slice(served.length);
      }
      return {
        Responses: {
          [table]: served.flatMap((id) => (wire.items.has(id) ? [wire.items.get(id)] : [])),
        },
        UnprocessedKeys: unprocessed.length
          ? {
              [table]: {
                Keys: unprocessed.map((id) => ({ turbine_id: { S: id } })),
                ConsistentRead: true,
              },
            }
          : {},
      };
    },
    TransactWriteItems(body) {
      const entries: any[] = body.TransactItems ?? [];
      if (entries.length === 0 || entries.length > 100) {
        throw validation(
          "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100",
        );
      }
      const operations = entries.map((entry) => {
        const [kind, op] = Object.entries(entry)[0] as [string, any];
        checkTable(op.TableName);
        const id = kind === "Put" ? keyOf({ turbine_id: op.Item?.turbine_id }) : keyOf(op.Key);
        return { kind, op, id };
      });
      if (new Set(operations.map((o) => o.id)).size !== operations.length) {
        throw validation("Transaction request cannot include multiple operations on one item");
      }
      wire.transactions++;
      wire.beforeTransaction?.(wire.transactions);
      const reasons = operations.map(({ op, id }) =>
        holds(op, wire.items.get(id))
          ? { Code: "None" }
          : { Code: "ConditionalCheckFailed", Message: "The conditional request failed" },
      );
      if (reasons.some((r) => r.Code !== "None")) {
        throw new AwsError(
          400,
          "TransactionCanceledException",
          `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
          { CancellationReasons: reasons },
        );
      }
      for (const { kind, op, id } of operations) {
        if (kind === "Put") wire.items.set(id, op.Item);
        else if (kind === "Delete") wire.items.delete(id);
      }
      return {};
    },
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.replace(/^DynamoDB_20120810\./, "");
    const answer = (status: number, payload: object) => {
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
      res.end(JSON.stringify(payload));
    };
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
      wire.calls.push({ operation, body });
      if (wire.failNext > 0) {
        wire.failNext--;
        throw new AwsError(500, "InternalServerError", "Internal server error");
      }
      const handler = operations[operation];
      if (!handler)
        throw new AwsError(400, "UnknownOperationException", `Unknown operation ${target}`);
      answer(200, handler(body));
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      answer(error.status, {
        __type: `com.amazonaws.dynamodb.v20120810#${error.type}`,
        message: error.message,
        ...error.extra,
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  wire.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return wire;
}
