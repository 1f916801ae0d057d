// The registry on the embedded store: table `turbines` in the same DuckDB file as the readings,
// so that queries join it (LEFT JOIN turbines t USING (turbine_id)). This process is the file's
// only writer, so the whole registry is also held in memory: the ingest route looks up the
// turbines of every request without a query. Writes are serialized, which makes If-Match
// checks and the write that follows one atomic step.
//
// Table `key_generations` keeps what must outlive a registration: the tombstone of each deleted
// turbine (its last key generation) and the operator and reader keys' generations. It came
// after `turbines`: a file without it gets it, empty, at open (nothing revoked yet).
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Role } from "../auth/keys.ts";
import { systemClock } from "../time/clock.ts";
import {
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

export const TURBINES_TABLE = "turbines";

const CREATE_TURBINES_TABLE = `
  CREATE TABLE IF NOT EXISTS ${TURBINES_TABLE} (
    turbine_id       VARCHAR PRIMARY KEY,
    name             VARCHAR,
    project          VARCHAR,
    model            VARCHAR,
    rated_kw         DOUBLE  NOT NULL,
    hub_height_m     DOUBLE,
    rotor_diameter_m DOUBLE,
    latitude         DOUBLE,
    longitude        DOUBLE,
    commissioned     DATE,
    tags             JSON    NOT NULL,
    etag             VARCHAR NOT NULL,
    updated_at       BIGINT  NOT NULL,
    key_generation   INTEGER NOT NULL
  )`;

export const KEY_GENERATIONS_TABLE = "key_generations";

const CREATE_KEY_GENERATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS ${KEY_GENERATIONS_TABLE} (
    kind           VARCHAR NOT NULL, -- 'turbine' (a deleted turbine's tombstone) or 'role'
    subject        VARCHAR NOT NULL, -- the turbine id, or operator / reader
    key_generation INTEGER NOT NULL,
    PRIMARY KEY (kind, subject)
  )`;

const UPSERT_KEY_GENERATION = `
  INSERT OR REPLACE INTO ${KEY_GENERATIONS_TABLE} VALUES ($kind, $subject, $generation::INTEGER)`;

// Records as one JSON array, upserted in one statement (a fleet import of 1000 is one commit).
const UPSERT_TURBINES_JSON = `
  INSERT OR REPLACE INTO ${TURBINES_TABLE}
  SELECT t.turbine_id, t.name, t.project, t.model, t.rated_kw, t.hub_height_m, t.rotor_diameter_m,
         t.latitude, t.longitude, CAST(t.commissioned AS DATE), t.tags, t.etag, t.updated_at,
         t.key_generation
    FROM (SELECT unnest(from_json($turbines::VARCHAR, '[{"turbine_id":"VARCHAR","name":"VARCHAR",
          "project":"VARCHAR","model":"VARCHAR","rated_kw":"DOUBLE","hub_height_m":"DOUBLE",
          "rotor_diameter_m":"DOUBLE","latitude":"DOUBLE","longitude":"DOUBLE",
          "commissioned":"VARCHAR","tags":"JSON","etag":"VARCHAR","updated_at":"BIGINT",
          "key_generation":"INTEGER"}]')) AS t)`;

const SELECT_TURBINES = `
  SELECT turbine_id, name, project, model, rated_kw, hub_height_m, rotor_diameter_m, latitude,
         longitude, strftime(commissioned, '%Y-%m-%d') AS commissioned, CAST(tags AS VARCHAR) AS tags,
         etag, updated_at, key_generation
    FROM ${TURBINES_TABLE}`;

export async function createTurbinesTable(connection: DuckDBConnection): Promise<void> {
  await connection.run(CREATE_TURBINES_TABLE);
  await connection.run(CREATE_KEY_GENERATIONS_TABLE);
}

export async function openDuckDbRegistry(
  connection: DuckDBConnection,
  now: () => number = systemClock.now,
): Promise<DuckDbRegistry> {
  await createTurbinesTable(connection);
  const rows = (await connection.runAndReadAll(SELECT_TURBINES)).getRowObjectsJS();
  const turbines = new Map<string, RegisteredTurbine>();
  for (const row of rows) {
    const turbine = turbineFromRow(row);
    turbines.set(turbine.turbine_id, turbine);
  }
  const generations = (
    await connection.runAndReadAll(
      `SELECT kind, subject, key_generation FROM ${KEY_GENERATIONS_TABLE}`,
    )
  ).getRowObjectsJS();
  const retired = new Map<string, number>();
  const roles = new Map<Role, number>();
  for (const { kind, subject, key_generation } of generations) {
    if (kind === "turbine") retired.set(String(subject), Number(key_generation));
    else if (subject === "operator" || subject === "reader")
      roles.set(subject, Number(key_generation));
  }
  return new DuckDbRegistry(connection, turbines, now, retired, roles);
}

function turbineFromRow(row: Record<string, unknown>): RegisteredTurbine {
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    turbine_id: String(row.turbine_id),
    name: text(row.name),
    project: text(row.project),
    model: text(row.model),
    rated_kw: Number(row.rated_kw),
    hub_height_m: number(row.hub_height_m),
    rotor_diameter_m: number(row.rotor_diameter_m),
    latitude: number(row.latitude),
    longitude: number(row.longitude),
    commissioned: text(row.commissioned),
    tags: JSON.parse(String(row.tags)) as Record<string, string>,
    etag: String(row.etag),
    updated_at: Number(row.updated_at),
    key_generation: Number(row.key_generation),
  };
}

export class DuckDbRegistry implements TurbineRegistry {
  readonly kind = "duckdb";
  /** The last write; writes run one after another. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly turbines: Map<string, RegisteredTurbine>,
    private readonly now: () => number,
    /** Tombstones: the key generation of each deleted turbine. */
    private readonly retired: Map<string, number> = new Map(),
    private readonly roles: Map<Role, number> = new Map(),
  ) {}

  async get(turbineId: string): Promise<RegisteredTurbine | null> {
    return this.turbines.get(turbineId) ?? null;
  }

  async list(): Promise<RegisteredTurbine[]> {
    return [...this.turbines.values()].sort((a, b) =>
      a.turbine_id < b.turbine_id ? -1 : a.turbine_id > b.turbine_id ? 1 : 0,
    );
  }

  put(
    turbineId: string,
    description: TurbineDescription,
    options: Preconditions = {},
  ): Promise<PutResult> {
    return this.serialized(async () => {
      const stored = this.turbines.get(turbineId) ?? null;
      if (!ifMatchHolds(options.ifMatch, stored)) {
        throw new PreconditionFailedError(turbineId, stored?.etag ?? null);
      }
      const result = nextRecord(
        turbineId,
        description,
        stored,
        this.now(),
        this.retired.get(turbineId),
      );
      if (result.outcome !== "unchanged") await this.store([result.turbine]);
      return result;
    });
  }

  putMany(entries: readonly TurbineEntry[]): Promise<PutResult[]> {
    return this.serialized(async () => {
      const now = this.now();
      const results = entries.map((entry) =>
        nextRecord(
          entry.turbine_id,
          entry.description,
          this.turbines.get(entry.turbine_id) ?? null,
          now,
          this.retired.get(entry.turbine_id),
        ),
      );
      // One statement is one transaction: all of them are stored, or none.
      await this.store(results.filter((r) => r.outcome !== "unchanged").map((r) => r.turbine));
      return results;
    });
  }

  delete(turbineId: string, options: Preconditions = {}): Promise<boolean> {
    return this.serialized(async () => {
      const stored = this.turbines.get(turbineId) ?? null;
      if (options.ifMatch !== undefined && !ifMatchHolds(options.ifMatch, stored)) {
        throw new PreconditionFailedError(turbineId, stored?.etag ?? null);
      }
      if (!stored) return false;
      // One transaction: the description goes and its tombstone comes, or neither.
      await this.transaction([
        [`DELETE FROM ${TURBINES_TABLE} WHERE turbine_id = $id`, { id: turbineId }],
        [
          UPSERT_KEY_GENERATION,
          { kind: "turbine", subject: turbineId, generation: String(stored.key_generation) },
        ],
      ]);
      this.turbines.delete(turbineId);
      this.retired.set(turbineId, stored.key_generation);
      return true;
    });
  }

  rotateKey(turbineId: string): Promise<RegisteredTurbine | null> {
    return this.serialized(async () => {
      const stored = this.turbines.get(turbineId);
      if (!stored) return null;
      const rotated = rotatedRecord(stored, this.now());
      await this.store([rotated]);
      return rotated;
    });
  }

  async keyGeneration(turbineId: string): Promise<number> {
    return this.turbines.get(turbineId)?.key_generation ?? this.retired.get(turbineId) ?? 1;
  }

  async roleKeyGeneration(role: Role): Promise<number> {
    return this.roles.get(role) ?? 1;
  }

  rotateRoleKey(role: Role): Promise<number> {
    return this.serialized(async () => {
      const next = (this.roles.get(role) ?? 1) + 1;
      await this.run(UPSERT_KEY_GENERATION, {
        kind: "role",
        subject: role,
        generation: String(next),
      });
      this.roles.set(role, next);
      return next;
    });
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
  }

  private async store(records: RegisteredTurbine[]): Promise<void> {
    if (records.length === 0) return;
    await this.run(UPSERT_TURBINES_JSON, { turbines: JSON.stringify(records) });
    for (const record of records) this.turbines.set(record.turbine_id, record);
  }

  private async run(sql: string, values: Record<string, string>): Promise<void> {
    try {
      await this.connection.run(sql, values);
    } catch (error) {
      throw new RegistryUnavailableError(
        `the registry could not write the DuckDB file: ${(error as Error).message.split("\n")[0]}`,
      );
    }
  }

  private async transaction(statements: [string, Record<string, string>][]): Promise<void> {
    await this.run("BEGIN TRANSACTION", {});
    try {
      for (const [sql, values] of statements) await this.run(sql, values);
      await this.run("COMMIT", {});
    } catch (error) {
      await this.connection.run("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const run = this.writing.catch(() => undefined).then(step);
    this.writing = run;
    return run;
  }
}
