// The registry on Lambda: one DynamoDB table (partition key turbine_id, on-demand), one item per
// turbine with the description as plain attributes (absent when null, tags a map).
//
// Cache: each Lambda container keeps what it read for REGISTRY_CACHE_SECONDS (default 30 s), so
// the ingest route does not call DynamoDB for every request. A change made through another
// container is seen within that time; changes made through this one are seen at once. Writes
// always read the stored item fresh (consistent read) and write it conditionally on what they
// read, so If-Match and concurrent writers never lose an update.
//
// putMany is all or nothing. DynamoDB's TransactWriteItems takes at most 100 items, so a fleet
// import of up to 1000 is written as up to 10 transactions, each conditional on the items it
// replaces; when one fails (another writer got there first), the transactions already written
// are undone (each item put back as it was, conditional on what this import wrote) and the
// import answers 409. Between the first transaction and the undo, a reader may see part of it.
//
// Items that are not turbines share the table: a deleted turbine leaves a tombstone (its id,
// `retired` true and its last key_generation, so its keys' generations never go back), and the
// operator and reader keys' generations are items "#role:operator" and "#role:reader" ('#' is
// not allowed in turbine ids). list() and get() leave both out.
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import type { Role } from "../auth/keys.ts";
import { type Clock, sleep, systemClock } from "../time/clock.ts";
import { beforeDeadline } from "../time/deadline.ts";
import {
  ConcurrentChangeError,
  ifMatchHolds,
  PreconditionFailedError,
  type Preconditions,
  type PutResult,
  type RegisteredTurbine,
  RegistryUnavailableError,
  type TurbineDescription,
  type TurbineEntry,
  type TurbineRegistry,
} from "./port.ts";
import { nextRecord, rotatedRecord } from "./record.ts";

export const DEFAULT_CACHE_MS = 30_000;
/** TransactWriteItems: at most 100 items a call. */
export const ITEMS_PER_TRANSACTION = 100;
/** BatchGetItem: at most 100 keys a call. */
const KEYS_PER_BATCH_GET = 100;
/** Attempts of a conditional write that lost a race with another writer (no If-Match given). */
const RACE_ATTEMPTS = 5;

export interface DynamoDbRegistryOptions {
  client: DynamoDBClient;
  table: string;
  cacheMs?: number;
  clock?: Clock;
}

interface Cached<T> {
  value: T;
  until: number;
}

/** What the table holds under a turbine id: a registration, a tombstone, or nothing. */
interface Stored {
  turbine: RegisteredTurbine | null;
  /** A tombstone's key generation (the turbine was registered, then deleted). */
  retired: number | null;
  /** The item's etag, for conditional writes; null when there is no item. */
  etag: string | null;
}

const roleItemId = (role: Role) => `#role:${role}`;

export function tombstoneItem(
  turbineId: string,
  keyGeneration: number,
): Record<string, AttributeValue> {
  return {
    turbine_id: { S: turbineId },
    retired: { BOOL: true },
    key_generation: { N: String(keyGeneration) },
    etag: { S: `retired-${keyGeneration}` },
  };
}

/** A turbine's item as what is stored; role items and unknown shapes are not turbines. */
function storedFromItem(item: Record<string, AttributeValue> | undefined): Stored {
  if (!item) return { turbine: null, retired: null, etag: null };
  const etag = item.etag?.S ?? null;
  if (item.retired?.BOOL === true) {
    return { turbine: null, retired: Number(item.key_generation?.N ?? 1), etag };
  }
  return { turbine: turbineFromItem(item), retired: null, etag };
}

const isTurbineItem = (item: Record<string, AttributeValue>) =>
  item.retired?.BOOL !== true && !item.turbine_id?.S?.startsWith("#");

const NUMBER_FIELDS = [
  "rated_kw",
  "hub_height_m",
  "rotor_diameter_m",
  "latitude",
  "longitude",
  "updated_at",
  "key_generation",
] as const;
const TEXT_FIELDS = ["name", "project", "model", "commissioned", "etag"] as const;

export function turbineItem(turbine: RegisteredTurbine): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { turbine_id: { S: turbine.turbine_id } };
  for (const field of TEXT_FIELDS) {
    const value = turbine[field];
    if (value !== null) item[field] = { S: value };
  }
  for (const field of NUMBER_FIELDS) {
    const value = turbine[field];
    if (value !== null) item[field] = { N: String(value) };
  }
  item.tags = {
    M: Object.fromEntries(Object.entries(turbine.tags).map(([k, v]) => [k, { S: v }])),
  };
  return item;
}

export function turbineFromItem(item: Record<string, AttributeValue>): RegisteredTurbine {
  const text = (field: string) => item[field]?.S ?? null;
  const number = (field: string) => (item[field]?.N === undefined ? null : Number(item[field]?.N));
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(item.tags?.M ?? {})) if (v.S !== undefined) tags[k] = v.S;
  return {
    turbine_id: text("turbine_id") ?? "",
    name: text("name"),
    project: text("project"),
    model: text("model"),
    rated_kw: number("rated_kw") ?? 0,
    hub_height_m: number("hub_height_m"),
    rotor_diameter_m: number("rotor_diameter_m"),
    latitude: number("latitude"),
    longitude: number("longitude"),
    commissioned: text("commissioned"),
    tags,
    etag: text("etag") ?? "",
    updated_at: number("updated_at") ?? 0,
    key_generation: number("key_generation") ?? 1,
  };
}

/** The condition that what is stored is still `stored` (or that nothing is). */
function unchangedSince(stored: { etag: string | null } | null) {
  return stored?.etag
    ? {
        ConditionExpression: "#etag = :etag",
        ExpressionAttributeNames: { "#etag": "etag" },
        ExpressionAttributeValues: { ":etag": { S: stored.etag } },
      }
    : { ConditionExpression: "attribute_not_exists(turbine_id)" };
}

export class DynamoDbRegistry implements TurbineRegistry {
  readonly kind = "dynamodb";
  private readonly cacheMs: number;
  private readonly clock: Clock;
  private readonly now: () => number;
  private readonly items = new Map<string, Cached<Stored>>();
  private readonly roles = new Map<Role, Cached<number>>();
  private all: Cached<RegisteredTurbine[]> | undefined;

  constructor(private readonly options: DynamoDbRegistryOptions) {
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.clock = options.clock ?? systemClock;
    this.now = this.clock.now;
  }

  async get(turbineId: string): Promise<RegisteredTurbine | null> {
    return (await this.stored(turbineId)).turbine;
  }

  async keyGeneration(turbineId: string): Promise<number> {
    const stored = await this.stored(turbineId);
    return stored.turbine?.key_generation ?? stored.retired ?? 1;
  }

  /** Cached for the cache's lifetime like turbines: a rotation made elsewhere is seen within it. */
  async roleKeyGeneration(role: Role): Promise<number> {
    const cached = this.roles.get(role);
    if (cached && cached.until > this.now()) return cached.value;
    return this.readRole(role);
  }

  async rotateRoleKey(role: Role): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.readRole(role);
      const next = current + 1;
      try {
        await this.call((client, abortSignal) =>
          client.send(
            new PutItemCommand({
              TableName: this.options.table,
              Item: { turbine_id: { S: roleItemId(role) }, key_generation: { N: String(next) } },
              ...(current === 1
                ? { ConditionExpression: "attribute_not_exists(turbine_id) OR #g = :g" }
                : { ConditionExpression: "#g = :g" }),
              ExpressionAttributeNames: { "#g": "key_generation" },
              ExpressionAttributeValues: { ":g": { N: String(current) } },
            }),
            { abortSignal },
          ),
        );
        this.roles.set(role, { value: next, until: this.now() + this.cacheMs });
        return next;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        if (attempt >= RACE_ATTEMPTS) {
          throw new ConcurrentChangeError(
            `the ${role} key kept changing under this rotation; send it again`,
          );
        }
      }
    }
  }

  private async stored(turbineId: string): Promise<Stored> {
    const cached = this.items.get(turbineId);
    if (cached && cached.until > this.now()) return cached.value;
    return this.read(turbineId);
  }

  private async readRole(role: Role): Promise<number> {
    const answer = await this.call((client, abortSignal) =>
      client.send(
        new GetItemCommand({
          TableName: this.options.table,
          Key: { turbine_id: { S: roleItemId(role) } },
          ConsistentRead: true,
        }),
        { abortSignal },
      ),
    );
    const generation = Number(answer.Item?.key_generation?.N ?? 1);
    this.roles.set(role, { value: generation, until: this.now() + this.cacheMs });
    return generation;
  }

  async list(): Promise<RegisteredTurbine[]> {
    if (this.all && this.all.until > this.now()) return this.all.value;
    const turbines: RegisteredTurbine[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.call((client, abortSignal) =>
        client.send(
          new ScanCommand({
            TableName: this.options.table,
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
          { abortSignal },
        ),
      );
      for (const item of page.Items ?? []) {
        if (isTurbineItem(item)) turbines.push(turbineFromItem(item));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    turbines.sort((a, b) =>
      a.turbine_id < b.turbine_id ? -1 : a.turbine_id > b.turbine_id ? 1 : 0,
    );
    for (const turbine of turbines) {
      this.remember(turbine.turbine_id, { turbine, retired: null, etag: turbine.etag });
    }
    this.all = { value: turbines, until: this.now() + this.cacheMs };
    return turbines;
  }

  put(
    turbineId: string,
    description: TurbineDescription,
    options: Preconditions = {},
  ): Promise<PutResult> {
    return this.conditionalWrite(turbineId, options, (stored) => {
      const result = nextRecord(
        turbineId,
        description,
        stored.turbine,
        this.now(),
        stored.retired ?? 1,
      );
      return { result, write: result.outcome === "unchanged" ? null : result.turbine };
    });
  }

  async rotateKey(turbineId: string): Promise<RegisteredTurbine | null> {
    try {
      const { turbine } = await this.conditionalWrite(turbineId, { ifMatch: "*" }, (stored) => {
        const rotated = rotatedRecord(stored.turbine as RegisteredTurbine, this.now());
        return { result: { turbine: rotated, outcome: "replaced" }, write: rotated };
      });
      return turbine;
    } catch (error) {
      if (error instanceof PreconditionFailedError && error.currentEtag === null) return null;
      throw error;
    }
  }

  /** Replaces the item by its tombstone, conditionally on what was read (as put does). */
  async delete(turbineId: string, options: Preconditions = {}): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.read(turbineId);
      if (options.ifMatch !== undefined && !ifMatchHolds(options.ifMatch, stored.turbine)) {
        throw new PreconditionFailedError(turbineId, stored.turbine?.etag ?? null);
      }
      if (!stored.turbine) return false;
      const tombstone = tombstoneItem(turbineId, stored.turbine.key_generation);
      try {
        await this.call((client, abortSignal) =>
          client.send(
            new PutItemCommand({
              TableName: this.options.table,
              Item: tombstone,
              ...unchangedSince(stored),
            }),
            { abortSignal },
          ),
        );
        this.remember(turbineId, storedFromItem(tombstone));
        this.all = undefined;
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        if (attempt >= RACE_ATTEMPTS) {
          throw new ConcurrentChangeError(
            `turbine "${turbineId}" kept changing under this delete; send it again`,
          );
        }
      }
    }
  }

  async putMany(entries: readonly TurbineEntry[]): Promise<PutResult[]> {
    const stored = await this.readMany(entries.map((e) => e.turbine_id));
    const now = this.now();
    const results = entries.map((e) => {
      const before = stored.get(e.turbine_id);
      return nextRecord(
        e.turbine_id,
        e.description,
        before?.turbine ?? null,
        now,
        before?.retired ?? 1,
      );
    });
    const changes = results
      .filter((r) => r.outcome !== "unchanged")
      .map((r) => ({
        before: stored.get(r.turbine.turbine_id) ?? null,
        after: r.turbine,
      }));
    const written: typeof changes = [];
    for (let start = 0; start < changes.length; start += ITEMS_PER_TRANSACTION) {
      const chunk = changes.slice(start, start + ITEMS_PER_TRANSACTION);
      try {
        await this.transact(
          chunk.map(({ before, after }) => ({
            Put: {
              TableName: this.options.table,
              Item: turbineItem(after),
              ...unchangedSince(before),
            },
          })),
        );
        written.push(...chunk);
      } catch (error) {
        await this.undo(written);
        for (const { after } of changes) this.forget(after.turbine_id);
        if (error instanceof TransactionCanceledException) {
          throw new ConcurrentChangeError(
            "another writer changed some of these turbines meanwhile; nothing of this import was kept: send it again",
          );
        }
        throw error;
      }
    }
    for (const { after } of changes) {
      this.remember(after.turbine_id, { turbine: after, retired: null, etag: after.etag });
    }
    this.all = undefined;
    return results;
  }

  async close(): Promise<void> {
    this.options.client.destroy();
  }

  /** Puts back what `written` replaced, each only if it still holds what this import wrote. */
  private async undo(written: readonly { before: Stored | null; after: RegisteredTurbine }[]) {
    for (let start = 0; start < written.length; start += ITEMS_PER_TRANSACTION) {
      const items: TransactWriteItem[] = written
        .slice(start, start + ITEMS_PER_TRANSACTION)
        .map(({ before, after }) =>
          before?.etag
            ? {
                Put: {
                  TableName: this.options.table,
                  Item: before.turbine
                    ? turbineItem(before.turbine)
                    : tombstoneItem(after.turbine_id, before.retired ?? 1),
                  ...unchangedSince(after),
                },
              }
            : {
                Delete: {
                  TableName: this.options.table,
                  Key: { turbine_id: { S: after.turbine_id } },
                  ...unchangedSince(after),
                },
              },
        );
      // An item that changed again since is someone else's newer write: leave it.
      await this.transact(items).catch(() => undefined);
    }
  }

  private async transact(items: TransactWriteItem[]): Promise<void> {
    await this.call((client, abortSignal) =>
      client.send(new TransactWriteItemsCommand({ TransactItems: items }), { abortSignal }),
    );
  }

  /**
   * Reads the stored record fresh, lets `change` decide, writes conditionally on what was read.
   * A lost race is retried unless the caller asked for a precise etag (then it is a 412).
   */
  private async conditionalWrite(
    turbineId: string,
    options: Preconditions,
    change: (stored: Stored) => {
      result: PutResult;
      write: RegisteredTurbine | null;
    },
  ): Promise<PutResult> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.read(turbineId);
      if (!ifMatchHolds(options.ifMatch, stored.turbine)) {
        throw new PreconditionFailedError(turbineId, stored.turbine?.etag ?? null);
      }
      const { result, write } = change(stored);
      if (!write) return result;
      try {
        await this.call((client, abortSignal) =>
          client.send(
            new PutItemCommand({
              TableName: this.options.table,
              Item: turbineItem(write),
              ...unchangedSince(stored),
            }),
            { abortSignal },
          ),
        );
        this.remember(turbineId, { turbine: write, retired: null, etag: write.etag });
        this.all = undefined;
        return result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        if (attempt >= RACE_ATTEMPTS) {
          throw new ConcurrentChangeError(
            `turbine "${turbineId}" kept changing under this write; send it again`,
          );
        }
      }
    }
  }

  private async read(turbineId: string): Promise<Stored> {
    const answer = await this.call((client, abortSignal) =>
      client.send(
        new GetItemCommand({
          TableName: this.options.table,
          Key: { turbine_id: { S: turbineId } },
          ConsistentRead: true,
        }),
        { abortSignal },
      ),
    );
    const stored = storedFromItem(answer.Item);
    this.remember(turbineId, stored);
    return stored;
  }

  /** Stored records of these turbines, fresh, by BatchGetItem (100 keys a call). */
  private async readMany(turbineIds: readonly string[]): Promise<Map<string, Stored>> {
    const found = new Map<string, Stored>();
    for (let start = 0; start < turbineIds.length; start += KEYS_PER_BATCH_GET) {
      let keys: Record<string, AttributeValue>[] | undefined = turbineIds
        .slice(start, start + KEYS_PER_BATCH_GET)
        .map((id) => ({ turbine_id: { S: id } }));
      // DynamoDB may leave keys unprocessed (size or throughput); ask again for those.
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round > 0) await sleep(this.clock, Math.min(1000, 25 * 2 ** round));
        if (round > 8)
          throw new RegistryUnavailableError("DynamoDB kept keys of a batch read unprocessed");
        const answer = await this.call((client, abortSignal) =>
          client.send(
            new BatchGetItemCommand({
              RequestItems: { [this.options.table]: { Keys: keys, ConsistentRead: true } },
            }),
            { abortSignal },
          ),
        );
        for (const item of answer.Responses?.[this.options.table] ?? []) {
          found.set(item.turbine_id?.S ?? "", storedFromItem(item));
        }
        keys = answer.UnprocessedKeys?.[this.options.table]?.Keys;
      }
    }
    return found;
  }

  private remember(turbineId: string, stored: Stored): void {
    this.items.set(turbineId, { value: stored, until: this.now() + this.cacheMs });
  }

  private forget(turbineId: string): void {
    this.items.delete(turbineId);
    this.all = undefined;
  }

  /**
   * Runs a DynamoDB call before the request's deadline (deadline.ts); failures other than
   * DynamoDB's answers about conditions, and no answer in time, are a 503 with Retry-After.
   */
  private async call<T>(
    run: (client: DynamoDBClient, abortSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    try {
      return await beforeDeadline((abortSignal) => run(this.options.client, abortSignal), {
        clock: this.clock,
      });
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        error instanceof TransactionCanceledException
      ) {
        throw error;
      }
      throw new RegistryUnavailableError(
        `the DynamoDB registry did not answer: ${(error as Error).name}: ${(error as Error).message}`,
      );
    }
  }
}
