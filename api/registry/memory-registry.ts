// A registry held in memory only: for the app over a store that keeps nothing (the ingest
// benchmark's ceiling) and for tests of stores that need a registry beside them.
import type { Role } from "../auth/keys.ts";
import { systemClock } from "../time/clock.ts";
import {
  ifMatchHolds,
  PreconditionFailedError,
  type Preconditions,
  type PutResult,
  type RegisteredTurbine,
  type TurbineDescription,
  type TurbineEntry,
  type TurbineRegistry,
} from "./port.ts";
import { nextRecord, rotatedRecord } from "./record.ts";

export class MemoryRegistry implements TurbineRegistry {
  readonly kind = "memory";
  private readonly turbines = new Map<string, RegisteredTurbine>();
  /** Tombstones: the key generation of each deleted turbine. */
  private readonly retired = new Map<string, number>();
  private readonly roles = new Map<Role, number>();

  constructor(private readonly now: () => number = systemClock.now) {}

  async get(turbineId: string): Promise<RegisteredTurbine | null> {
    return this.turbines.get(turbineId) ?? null;
  }

  async list(): Promise<RegisteredTurbine[]> {
    return [...this.turbines.values()].sort((a, b) =>
      a.turbine_id < b.turbine_id ? -1 : a.turbine_id > b.turbine_id ? 1 : 0,
    );
  }

  async put(
    turbineId: string,
    description: TurbineDescription,
    options: Preconditions = {},
  ): Promise<PutResult> {
    const stored = this.turbines.get(turbineId) ?? null;
    if (!ifMatchHolds(options.ifMatch, stored)) {
      throw new PreconditionFailedError(turbineId, stored?.etag ?? null);
    }
    const result = nextRecord(
      turbineId,
      description,
      stored,
      this.now(),
      this.retiredAt(turbineId),
    );
    this.turbines.set(turbineId, result.turbine);
    return result;
  }

  async putMany(entries: readonly TurbineEntry[]): Promise<PutResult[]> {
    const now = this.now();
    const results = entries.map((e) =>
      nextRecord(
        e.turbine_id,
        e.description,
        this.turbines.get(e.turbine_id) ?? null,
        now,
        this.retiredAt(e.turbine_id),
      ),
    );
    for (const { turbine } of results) this.turbines.set(turbine.turbine_id, turbine);
    return results;
  }

  async delete(turbineId: string, options: Preconditions = {}): Promise<boolean> {
    const stored = this.turbines.get(turbineId) ?? null;
    if (options.ifMatch !== undefined && !ifMatchHolds(options.ifMatch, stored)) {
      throw new PreconditionFailedError(turbineId, stored?.etag ?? null);
    }
    if (!stored) return false;
    this.retired.set(turbineId, stored.key_generation);
    return this.turbines.delete(turbineId);
  }

  async rotateKey(turbineId: string): Promise<RegisteredTurbine | null> {
    const stored = this.turbines.get(turbineId);
    if (!stored) return null;
    const rotated = rotatedRecord(stored, this.now());
    this.turbines.set(turbineId, rotated);
    return rotated;
  }

  async keyGeneration(turbineId: string): Promise<number> {
    return this.turbines.get(turbineId)?.key_generation ?? this.retiredAt(turbineId);
  }

  async roleKeyGeneration(role: Role): Promise<number> {
    return this.roles.get(role) ?? 1;
  }

  async rotateRoleKey(role: Role): Promise<number> {
    const next = (this.roles.get(role) ?? 1) + 1;
    this.roles.set(role, next);
    return next;
  }

  private retiredAt(turbineId: string): number {
    return this.retired.get(turbineId) ?? 1;
  }

  async close(): Promise<void> {}
}
