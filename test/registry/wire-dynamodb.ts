// A fake Amazon DynamoDB ON THE WIRE: a loopback HTTP server speaking the awsJson1_0 protocol
// (test/support/aws-json-server.ts: X-Amz-Target DynamoDB_20120810.<Operation>, errors as
// {"__type", "message"} with HTTP 400 or 500) that the real @aws-sdk/client-dynamodb reaches
// through its `endpoint`.
//
// It behaves as the DynamoDB API reference documents the operations gust uses, for its tables:
// the registry's (partition key turbine_id) and any more given with their key attributes (the
// alarms' table: pk + sk).
// - GetItem, PutItem, DeleteItem (ReturnValues ALL_OLD), with ConditionExpression
//   (attribute_exists / attribute_not_exists of an attribute, `name = :value`, `#name = :value`,
//   two of them joined by AND or OR): a false condition is ConditionalCheckFailedException and
//   changes nothing.
// - UpdateItem: UpdateExpression SET (`name = :value`, `name = other` and
//   `name = if_not_exists(other, :value)`, the right side as the item was before), REMOVE and ADD
//   (`name :number`: added to the number, 0 when the attribute or item does not exist, which
//   UpdateItem creates), with a condition; ReturnValues ALL_NEW / UPDATED_NEW.
// - Item sizes as DynamoDB meters them (itemSize): an item over 400 KB is a ValidationException,
//   as is a transaction request over 4 MB; a Query or Scan page ends at 1 MB of items.
// - Query: KeyConditionExpression `pk = :v` optionally `AND sk op :v` (=, <, <=, >, >=,
//   BETWEEN :a AND :b, begins_with(sk, :v)); items in sort-key order (byte order of strings),
//   reversed with ScanIndexForward false; Limit items a page; pages (`pageSize` items here, 1 MB
//   in AWS) with LastEvaluatedKey, resumed by ExclusiveStartKey.
// - Scan: pages (`scanPageSize` items here, 1 MB in AWS) with LastEvaluatedKey.
// - BatchGetItem: at most 100 keys (ValidationException), each key once; may leave keys in
//   UnprocessedKeys (`unprocessNext` calls leave half of them).
// - TransactWriteItems: at most 100 items (ValidationException), Put, Delete, Update and
//   ConditionCheck, one operation per item; all conditions are checked first: any false one
//   cancels the whole transaction (TransactionCanceledException with CancellationReasons, one per
//   item, in order).
// - A key that does not match the table's schema, or an undefined expression name or value, is
//   a ValidationException; a wrong table name is ResourceNotFoundException; `failNext` calls
//   answer 500; `hangNext` calls are never answered.
import { type AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AwsError, HANG, startAwsJsonServer } from "../support/aws-json-server.ts";

type Item = Record<string, AttributeValue>;

export interface WireTable {
  keys: readonly string[];
  /** Items by their key (JSON of the key values in schema order; the registry's: turbine_id). */
  items: Map<string, Item>;
}

export interface WireDynamoDb {
  url: string;
  table: string;
  /** The registry table's items by turbine_id. */
  items: Map<string, Item>;
  tables: Map<string, WireTable>;
  calls: { operation: string; body: any }[];
  scanPageSize: number;
  /** Query pages hold at most this many items (a test's smaller pages), and at most 1 MB as in AWS. */
  pageSize: number;
  unprocessNext: number;
  failNext: number;
  /** The next this many calls (to `hangTable` only, when set) are never answered. */
  hangNext: number;
  hangTable?: string;
  /**
   * Capacity units consumed, as on-demand bills them: a read unit per 4 KB read (half for an
   * eventually consistent read; a Query or Scan sums its page's items first), a write unit per KB
   * of the larger of the item before and after (two in a transaction).
   */
  capacity: { read: number; write: number };
  /** TransactWriteItems calls so far. */
  transactions: number;
  /** Runs before the n-th (1-based) TransactWriteItems is applied: a concurrent writer. */
  beforeTransaction?: (n: number) => void;
  client(options?: { maxAttempts?: number }): DynamoDBClient;
  close(): Promise<void>;
}

const validation = (message: string) => new AwsError(400, "ValidationException", message);
const conditionFailed = () =>
  new AwsError(400, "ConditionalCheckFailedException", "The conditional request failed");

export async function startWireDynamoDb(
  table = "gust-registry",
  more: Record<string, readonly string[]> = {},
): Promise<WireDynamoDb> {
  const tables = new Map<string, WireTable>([[table, { keys: ["turbine_id"], items: new Map() }]]);
  for (const [name, keys] of Object.entries(more)) tables.set(name, { keys, items: new Map() });

  const tableOf = (name: unknown): WireTable => {
    const found = tables.get(String(name));
    if (!found)
      throw new AwsError(400, "ResourceNotFoundException", "Requested resource not found");
    return found;
  };
  /** The item's key in the table's map; a key with other attributes does not match the schema. */
  const keyOf = (t: WireTable, key: Item | undefined, fromItem = false): string => {
    const values = t.keys.map((name) => key?.[name]?.S);
    const extra = !fromItem && Object.keys(key ?? {}).length !== t.keys.length;
    if (values.some((v) => !v) || extra) {
      throw validation("The provided key element does not match the schema");
    }
    return t.keys.length === 1 ? (values[0] as string) : JSON.stringify(values);
  };
  const keyItem = (t: WireTable, item: Item): Item =>
    Object.fromEntries(t.keys.map((name) => [name, item[name] as AttributeValue]));

  const operations: Record<string, (body: any) => object> = {
    GetItem(body) {
      const t = tableOf(body.TableName);
      const item = t.items.get(keyOf(t, body.Key));
      wire.capacity.read += readUnits(item ? itemSize(item) : 0, body.ConsistentRead);
      return item ? { Item: item } : {};
    },
    PutItem(body) {
      const t = tableOf(body.TableName);
      checkItemSize(body.Item);
      const id = keyOf(t, body.Item, true);
      const before = t.items.get(id);
      wire.capacity.write += writeUnits(before, body.Item);
      if (!holds(body, before)) throw conditionFailed();
      t.items.set(id, body.Item);
      return {};
    },
    DeleteItem(body) {
      const t = tableOf(body.TableName);
      const id = keyOf(t, body.Key);
      const existing = t.items.get(id);
      wire.capacity.write += writeUnits(existing, undefined);
      if (!holds(body, existing)) throw conditionFailed();
      t.items.delete(id);
      return body.ReturnValues === "ALL_OLD" && existing ? { Attributes: existing } : {};
    },
    UpdateItem(body) {
      const t = tableOf(body.TableName);
      const id = keyOf(t, body.Key);
      const existing = t.items.get(id);
      if (!holds(body, existing)) {
        wire.capacity.write += writeUnits(existing, undefined);
        throw conditionFailed();
      }
      const { item, updated } = applyUpdate(body, existing ?? { ...body.Key });
      wire.capacity.write += writeUnits(existing, item);
      checkItemSize(item);
      t.items.set(id, item);
      if (body.ReturnValues === "ALL_NEW") return { Attributes: item };
      if (body.ReturnValues === "UPDATED_NEW") {
        return { Attributes: Object.fromEntries(updated.map((name) => [name, item[name]])) };
      }
      return {};
    },
    Query(body) {
      const t = tableOf(body.TableName);
      const [pk, sk] = t.keys as [string, string | undefined];
      const match = keyCondition(body, pk, sk);
      let rows = [...t.items.values()].filter(match);
      if (sk) {
        rows.sort((a, b) => compare(a[sk]?.S as string, b[sk]?.S as string));
      }
      if (body.ScanIndexForward === false) rows.reverse();
      if (body.ExclusiveStartKey) {
        const start = keyOf(t, body.ExclusiveStartKey);
        rows = rows.slice(rows.findIndex((item) => keyOf(t, item, true) === start) + 1);
      }
      const size = Math.min(body.Limit ?? Number.POSITIVE_INFINITY, wire.pageSize);
      const page = withinPage(rows.slice(0, size));
      wire.capacity.read += readUnits(
        page.reduce((n, item) => n + itemSize(item), 0),
        body.ConsistentRead,
      );
      const more = rows.length > page.length;
      const last = page.at(-1);
      return {
        Items: page,
        Count: page.length,
        ScannedCount: page.length,
        ...(more && last ? { LastEvaluatedKey: keyItem(t, last) } : {}),
      };
    },
    Scan(body) {
      const t = tableOf(body.TableName);
      const all = [...t.items.entries()];
      const start = body.ExclusiveStartKey
        ? all.findIndex(([id]) => id === keyOf(t, body.ExclusiveStartKey)) + 1
        : 0;
      const page = withinPage(all.slice(start, start + wire.scanPageSize), ([, item]) => item);
      wire.capacity.read += readUnits(
        page.reduce((n, [, item]) => n + itemSize(item), 0),
        body.ConsistentRead,
      );
      const more = start + page.length < all.length;
      const last = page.at(-1)?.[1];
      return {
        Items: page.map(([, item]) => item),
        Count: page.length,
        ScannedCount: page.length,
        ...(more && last ? { LastEvaluatedKey: keyItem(t, last) } : {}),
      };
    },
    BatchGetItem(body) {
      const names = Object.keys(body.RequestItems ?? {});
      names.forEach(tableOf);
      const t = tableOf(table);
      const keys: Item[] = body.RequestItems[table]?.Keys ?? [];
      if (keys.length > 100) {
        throw validation("Too many items requested for the BatchGetItem call");
      }
      const ids = keys.map((key) => keyOf(t, key));
      if (new Set(ids).size !== ids.length)
        throw validation("Provided list of item keys contains duplicates");
      let served = ids;
      let unprocessed: string[] = [];
      if (wire.unprocessNext > 0 && ids.length > 1) {
        wire.unprocessNext--;
        served = ids.slice(0, Math.ceil(ids.length / 2));
        unprocessed = ids.slice(served.length);
      }
      for (const id of served) {
        const item = t.items.get(id);
        if (item)
          wire.capacity.read += readUnits(itemSize(item), body.RequestItems[table]?.ConsistentRead);
      }
      return {
        Responses: {
          [table]: served.flatMap((id) => (t.items.has(id) ? [t.items.get(id)] : [])),
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
      if (Buffer.byteLength(JSON.stringify(entries)) > TRANSACTION_BYTES) {
        throw validation("Transaction request cannot be larger than 4 MB");
      }
      const writes = entries.map((entry) => {
        const [kind, op] = Object.entries(entry)[0] as [string, any];
        const t = tableOf(op.TableName);
        const id = kind === "Put" ? keyOf(t, op.Item, true) : keyOf(t, op.Key);
        return { kind, op, t, id };
      });
      const targets = writes.map((w) => `${w.op.TableName}|${w.id}`);
      if (new Set(targets).size !== writes.length) {
        throw validation("Transaction request cannot include multiple operations on one item");
      }
      const reasons = writes.map(({ op, t, id }) =>
        holds(op, t.items.get(id))
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
      for (const { kind, op, t, id } of writes) {
        // A transaction's item costs two write units a KB.
        wire.capacity.write +=
          2 * writeUnits(t.items.get(id), kind === "Put" ? op.Item : undefined);
        if (kind === "Put") t.items.set(id, op.Item);
        else if (kind === "Delete") t.items.delete(id);
        else if (kind === "Update")
          t.items.set(id, applyUpdate(op, t.items.get(id) ?? { ...op.Key }).item);
      }
      return {};
    },
  };

  const server = await startAwsJsonServer({
    errorNamespace: "com.amazonaws.dynamodb.v20120810",
    onCall: (operation, body) => wire.calls.push({ operation, body }),
    handle(operation, body) {
      if (wire.hangNext > 0 && (!wire.hangTable || body.TableName === wire.hangTable)) {
        wire.hangNext--;
        return HANG;
      }
      if (wire.failNext > 0) {
        wire.failNext--;
        throw new AwsError(500, "InternalServerError", "Internal server error");
      }
      const handler = operations[operation];
      if (!handler) {
        throw new AwsError(400, "UnknownOperationException", `Unknown operation ${operation}`);
      }
      if (operation === "TransactWriteItems") {
        wire.transactions++;
        wire.beforeTransaction?.(wire.transactions);
      }
      return handler(body);
    },
  });

  const wire: WireDynamoDb = {
    transactions: 0,
    url: server.url,
    table,
    items: tables.get(table)?.items as Map<string, Item>,
    tables,
    calls: [],
    scanPageSize: Number.POSITIVE_INFINITY,
    pageSize: Number.POSITIVE_INFINITY,
    unprocessNext: 0,
    failNext: 0,
    hangNext: 0,
    capacity: { read: 0, write: 0 },
    client: (options = {}) =>
      new DynamoDBClient({
        endpoint: wire.url,
        region: "eu-west-1",
        credentials: { accessKeyId: "fake", secretAccessKey: "fake" },
        maxAttempts: options.maxAttempts ?? 1,
      }),
    close: () => server.close(),
  };
  return wire;
}

/** A Query or Scan page: DynamoDB stops reading at 1 MB of items (and returns at least one). */
const PAGE_BYTES = 1024 * 1024;
/** An item is at most 400 KB; a transaction's request at most 4 MB. */
const ITEM_BYTES = 400 * 1024;
const TRANSACTION_BYTES = 4 * 1024 * 1024;

function withinPage<T>(rows: T[], itemOf: (row: T) => Item = (row) => row as Item): T[] {
  let bytes = 0;
  const page: T[] = [];
  for (const row of rows) {
    bytes += itemSize(itemOf(row));
    if (bytes > PAGE_BYTES && page.length > 0) break;
    page.push(row);
  }
  return page;
}

function readUnits(bytes: number, consistent: boolean | undefined): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}

function writeUnits(before: Item | undefined, after: Item | undefined): number {
  const bytes = Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0);
  return Math.max(1, Math.ceil(bytes / 1024));
}

function checkItemSize(item: Item): void {
  if (itemSize(item) > ITEM_BYTES)
    throw validation("Item size has exceeded the maximum allowed size");
}

/**
 * An item's size as DynamoDB counts it: each attribute's name (UTF-8 bytes) plus its value:
 * strings and binaries their bytes, numbers about one byte per two digits plus one, booleans and
 * nulls one byte, lists and maps 3 bytes plus their elements (and a byte each).
 */
export function itemSize(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item))
    bytes += Buffer.byteLength(name) + valueSize(value);
  return bytes;
}

function valueSize(value: AttributeValue): number {
  const v = value as Record<string, any>;
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(String(v.N).replace(/^-|\.|e.*$/g, "").length / 2) + 1;
  if (v.B !== undefined) return Buffer.from(v.B, "base64").length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n: number, s: string) => n + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((n: number, s: string) => n + valueSize({ N: s }), 0);
  if (v.L) return 3 + v.L.reduce((n: number, e: AttributeValue) => n + 1 + valueSize(e), 0);
  if (v.M)
    return (
      3 +
      Object.entries(v.M as Item).reduce(
        (n, [k, e]) => n + Buffer.byteLength(k) + 1 + valueSize(e),
        0,
      )
    );
  return 0;
}

/** DynamoDB orders string sort keys by their UTF-8 bytes. */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** `#name` or a bare attribute name, as the request's ExpressionAttributeNames resolve it. */
function attributeName(body: any, token: string): string {
  if (!token.startsWith("#")) return token;
  const name = body.ExpressionAttributeNames?.[token];
  if (name === undefined) {
    throw validation(
      `An expression attribute name used in the document path is not defined; attribute name: ${token}`,
    );
  }
  return name;
}

function attributeValue(body: any, token: string): AttributeValue {
  const value = body.ExpressionAttributeValues?.[token];
  if (value === undefined) {
    throw validation(
      `An expression attribute value used in expression is not defined; attribute value: ${token}`,
    );
  }
  return value;
}

const same = (a: AttributeValue | undefined, b: AttributeValue) =>
  a !== undefined && JSON.stringify(a) === JSON.stringify(b);

/** Evaluates the condition forms gust writes; anything else is refused. */
function holds(body: any, existing: Item | undefined): boolean {
  const expression: string | undefined = body.ConditionExpression;
  if (expression === undefined) return true;
  const or = expression.split(" OR ");
  if (or.length > 1) return or.some((part) => term(body, part.trim(), existing));
  return expression.split(" AND ").every((part) => term(body, part.trim(), existing));
}

function term(body: any, expression: string, existing: Item | undefined): boolean {
  const exists = /^attribute_(not_)?exists\(([#\w]+)\)$/.exec(expression);
  if (exists) {
    const present = existing?.[attributeName(body, exists[2] as string)] !== undefined;
    return exists[1] ? !present : present;
  }
  const compared = /^([#\w]+) (=|<|>) (:\w+)$/.exec(expression);
  if (!compared) throw validation(`Invalid ConditionExpression: ${expression}`);
  const value = attributeValue(body, compared[3] as string);
  const stored = existing?.[attributeName(body, compared[1] as string)];
  if (compared[2] === "=") return same(stored, value);
  // A comparison with a missing attribute is false; numbers compare as numbers.
  if (stored?.N === undefined || value.N === undefined) return false;
  return compared[2] === "<"
    ? Number(stored.N) < Number(value.N)
    : Number(stored.N) > Number(value.N);
}

/** SET a = :v, b = :w and ADD c :n, in either order; the item and the names it set. */
function applyUpdate(body: any, existing: Item): { item: Item; updated: string[] } {
  const expression: string = body.UpdateExpression ?? "";
  const item: Item = { ...existing };
  const updated: string[] = [];
  const clauses = expression
    .split(/\b(?=SET |ADD |REMOVE )/)
    .map((c) => c.trim())
    .filter(Boolean);
  if (clauses.length === 0) throw validation("Invalid UpdateExpression: empty");
  for (const clause of clauses) {
    const [action, ...rest] = clause.split(" ");
    for (const part of rest
      .join(" ")
      .split(/,(?![^(]*\))/)
      .map((p) => p.trim())) {
      if (action === "SET") {
        // Right-hand sides read the item as it was before this update, as DynamoDB does.
        const set = /^([#\w]+) = (?:(:\w+)|if_not_exists\(([#\w]+), (:\w+)\)|([#\w]+))$/.exec(part);
        if (!set) throw validation(`Invalid UpdateExpression: ${clause}`);
        const name = attributeName(body, set[1] as string);
        let value: AttributeValue | undefined;
        if (set[2]) value = attributeValue(body, set[2]);
        else if (set[3]) {
          value = existing[attributeName(body, set[3])] ?? attributeValue(body, set[4] as string);
        } else {
          value = existing[attributeName(body, set[5] as string)];
          if (value === undefined)
            throw validation(
              "The provided expression refers to an attribute that does not exist in the item",
            );
        }
        item[name] = value;
        updated.push(name);
      } else if (action === "REMOVE") {
        if (!/^[#\w]+$/.test(part)) throw validation(`Invalid UpdateExpression: ${clause}`);
        delete item[attributeName(body, part)];
      } else if (action === "ADD") {
        const add = /^([#\w]+) (:\w+)$/.exec(part);
        if (!add) throw validation(`Invalid UpdateExpression: ${clause}`);
        const name = attributeName(body, add[1] as string);
        const value = attributeValue(body, add[2] as string);
        if (value.N === undefined) throw validation("fake: ADD of a number only");
        const before = item[name];
        if (before !== undefined && before.N === undefined) {
          throw validation("An operand in the update expression has an incorrect data type");
        }
        item[name] = { N: String(Number(before?.N ?? 0) + Number(value.N)) };
        updated.push(name);
      } else throw validation(`Invalid UpdateExpression: ${clause}`);
    }
  }
  return { item, updated };
}

/** A Query's KeyConditionExpression as a predicate on items. */
function keyCondition(body: any, pk: string, sk: string | undefined): (item: Item) => boolean {
  const expression: string = body.KeyConditionExpression ?? "";
  const at = expression.indexOf(" AND ");
  const first = at < 0 ? expression : expression.slice(0, at);
  const hash = /^([#\w]+) = (:\w+)$/.exec((first ?? "").trim());
  if (!hash || attributeName(body, hash[1] as string) !== pk) {
    throw validation("Query condition missed key schema element");
  }
  const pkValue = attributeValue(body, hash[2] as string);
  const rest = at < 0 ? "" : expression.slice(at + 5).trim();
  let range: (value: string) => boolean = () => true;
  if (rest) {
    if (!sk) throw validation("Query key condition not supported");
    const between = /^([#\w]+) BETWEEN (:\w+) AND (:\w+)$/.exec(rest);
    const begins = /^begins_with\(([#\w]+), (:\w+)\)$/.exec(rest);
    const op = /^([#\w]+) (=|<|<=|>|>=) (:\w+)$/.exec(rest);
    const name = (between ?? begins ?? op)?.[1];
    if (!name || attributeName(body, name) !== sk) {
      throw validation("Query condition missed key schema element");
    }
    if (between) {
      const low = attributeValue(body, between[2] as string).S as string;
      const high = attributeValue(body, between[3] as string).S as string;
      range = (v) => compare(v, low) >= 0 && compare(v, high) <= 0;
    } else if (begins) {
      const prefix = attributeValue(body, begins[2] as string).S as string;
      range = (v) => v.startsWith(prefix);
    } else if (op) {
      const bound = attributeValue(body, op[3] as string).S as string;
      const ops: Record<string, (c: number) => boolean> = {
        "=": (c) => c === 0,
        "<": (c) => c < 0,
        "<=": (c) => c <= 0,
        ">": (c) => c > 0,
        ">=": (c) => c >= 0,
      };
      const test = ops[op[2] as string] as (c: number) => boolean;
      range = (v) => test(compare(v, bound));
    }
  }
  return (item) => same(item[pk], pkValue) && (sk === undefined || range(item[sk]?.S as string));
}
