// The fleet registry port: what gust knows about each turbine, described once (not in every
// reading). DuckDB (locally, api/registry/duckdb-registry.ts) and DynamoDB (on Lambda,
// api/registry/dynamodb-registry.ts) implement it; routes never know which one runs.
//
// Key generations only ever go up: a deleted turbine leaves a tombstone holding its last
// generation (so deleting does not bring back keys a rotation revoked, and a new registration
// continues from it), and the operator and reader keys have generations of their own.
import type { Role } from "../auth/keys.ts";

/** The description an operator gives a turbine (PUT /v1/turbines/{turbine_id}). */
export interface TurbineDescription {
  name: string | null;
  project: string | null;
  model: string | null;
  rated_kw: number;
  hub_height_m: number | null;
  rotor_diameter_m: number | null;
  latitude: number | null;
  longitude: number | null;
  /** YYYY-MM-DD */
  commissioned: string | null;
  /** municipality, province, owner, ... */
  tags: Record<string, string>;
}

export interface RegisteredTurbine extends TurbineDescription {
  turbine_id: string;
  /** Changes with every change of the record (description or key generation). */
  etag: string;
  /** Epoch ms of the last change. */
  updated_at: number;
  /** 1 at creation; a key rotation bumps it. */
  key_generation: number;
}

export interface TurbineEntry {
  turbine_id: string;
  description: TurbineDescription;
}

/** What a put did: created, replaced, or nothing (the same description was stored already). */
export type PutOutcome = "created" | "replaced" | "unchanged";

export interface PutResult {
  turbine: RegisteredTurbine;
  outcome: PutOutcome;
}

export interface Preconditions {
  /** An etag, or "*" (the turbine must exist). A mismatch throws PreconditionFailedError. */
  ifMatch?: string;
}

export interface TurbineRegistry {
  /** Where it lives, for messages: "duckdb" or "dynamodb". */
  readonly kind: string;
  get(turbineId: string): Promise<RegisteredTurbine | null>;
  /** Every registered turbine, by turbine_id. */
  list(): Promise<RegisteredTurbine[]>;
  /** Creates or replaces; keeps key_generation. An identical description changes nothing. */
  put(
    turbineId: string,
    description: TurbineDescription,
    options?: Preconditions,
  ): Promise<PutResult>;
  /** All or nothing: every entry is stored, or none (distinct turbine ids, at most 1000). */
  putMany(entries: readonly TurbineEntry[]): Promise<PutResult[]>;
  /**
   * Removes the description (never readings) and keeps its key generation as a tombstone;
   * false when the turbine was not registered.
   */
  delete(turbineId: string, options?: Preconditions): Promise<boolean>;
  /** Bumps key_generation (a new etag); null when the turbine is not registered. */
  rotateKey(turbineId: string): Promise<RegisteredTurbine | null>;
  /** The turbine's current key generation: registered, else its tombstone's, else 1. */
  keyGeneration(turbineId: string): Promise<number>;
  /** The current generation of the operator or reader key (1 until the first rotation). */
  roleKeyGeneration(role: Role): Promise<number>;
  /** Bumps the role's key generation and answers the new one: older keys are refused. */
  rotateRoleKey(role: Role): Promise<number>;
  close(): Promise<void>;
}

/** If-Match did not match the stored record (HTTP 412). */
export class PreconditionFailedError extends Error {
  constructor(
    readonly turbineId: string,
    /** The stored etag, or null when the turbine is not registered. */
    readonly currentEtag: string | null,
  ) {
    super(
      currentEtag === null
        ? `turbine "${turbineId}" is not registered, so If-Match cannot match`
        : `turbine "${turbineId}" has changed: its etag is now "${currentEtag}"`,
    );
    this.name = "PreconditionFailedError";
  }
}

/** Another writer changed the same turbines meanwhile; nothing of this write was kept (HTTP 409). */
export class ConcurrentChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConcurrentChangeError";
  }
}

/** The registry cannot be reached now; the client should retry (HTTP 503). */
export class RegistryUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryUnavailableError";
  }
}

/** Does an If-Match value match a stored etag (strong comparison; "*" matches any)? */
export function ifMatchHolds(
  ifMatch: string | undefined,
  stored: RegisteredTurbine | null,
): boolean {
  if (ifMatch === undefined) return true;
  if (stored === null) return false;
  return ifMatch === "*" || ifMatch === stored.etag;
}
