// The fleet in gust's registry, over HTTP with the operator key: provisioning (the simulator
// before it sends, `npm run fleet -- import`), and reading it back (`export`, `list`).
//
// One simulated turbine_id is one project (the farm's output), so its registry entry describes
// the farm: rated_kw is the project's total, and the tags carry municipality, province and the
// number of turbines (`turbines`), from which `export` gives back the per-turbine rating.
import { request } from "undici";
import type { TurbineDescription } from "../api/registry/port.ts";
import { type Clock, sleep, systemClock } from "../api/time/clock.ts";
import type { Project } from "./fleet.ts";

/** PUT /v1/turbines takes at most this many. */
export const TURBINES_PER_PUT = 1000;

/** A registry entry as PUT /v1/turbines takes it: the port's description under its id. */
export type TurbineEntryJson = { turbine_id: string } & Omit<TurbineDescription, "commissioned"> & {
    commissioned?: string | null;
  };

/** A project of the fleet as its registry entry. */
export function projectEntry(project: Project): TurbineEntryJson {
  return {
    turbine_id: project.id,
    name: project.name,
    project: project.name,
    model: project.model.name,
    rated_kw: project.model.ratedKw * project.turbines,
    hub_height_m: project.hubHeightM,
    rotor_diameter_m: project.model.rotorDiameterM,
    latitude: project.latitude,
    longitude: project.longitude,
    tags: {
      municipality: project.municipality,
      province: project.province,
      turbines: String(project.turbines),
    },
  };
}

export interface ProvisionResult {
  created: number;
  replaced: number;
  unchanged: number;
}

/** An answer of the API that is not what was asked for, with its problem detail. */
export class RegistryRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly problem?: {
      detail?: string;
      errors?: { pointer: string; detail: string; index?: number }[];
    },
  ) {
    super(message);
    this.name = "RegistryRequestError";
  }
}

/** How a registry request retries 429, 503 and network errors (as the simulator's readings). */
export interface RetryOptions {
  maxAttempts?: number;
  onRetry?: () => void;
  /** Whose time the waits between attempts take (default: the machine's). */
  clock?: Clock;
}

// The answer's JSON is taken as the shape the API documents for that route (T): this is the
// API's own client, tested against it, not a guard against a foreign server.
async function call<T>(
  target: string,
  key: string,
  method: "GET" | "PUT",
  path: string,
  body?: unknown,
  retry: RetryOptions = {},
): Promise<T> {
  const maxAttempts = retry.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return (await callOnce(target, key, method, path, body)) as T;
    } catch (error) {
      const status = error instanceof RegistryRequestError ? error.status : 0;
      const transient = status === 0 || status === 429 || status === 503;
      if (!transient || attempt >= maxAttempts) throw error;
      retry.onRetry?.();
      await sleep(retry.clock ?? systemClock, Math.min(2000, 50 * 2 ** attempt));
    }
  }
}

async function callOnce(
  target: string,
  key: string,
  method: "GET" | "PUT",
  path: string,
  body?: unknown,
): Promise<unknown> {
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(new URL(path, target), {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new RegistryRequestError(
      `cannot reach the gust API at ${target}: ${(error as Error).message}. Is it running (npm run serve)? Set --target or GUST_TARGET.`,
      0,
    );
  }
  const text = await answer.body.text();
  let json: RegistryRequestError["problem"] | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (answer.statusCode >= 400) {
    const hint =
      answer.statusCode === 401 || answer.statusCode === 403
        ? " Use the operator key: --key-secret (or API_KEY_SECRET), or --key gust.op.…"
        : "";
    throw new RegistryRequestError(
      `${method} ${path}: ${answer.statusCode} ${json?.detail ?? text.slice(0, 200)}${hint}`,
      answer.statusCode,
      json,
    );
  }
  return json;
}

/**
 * Puts the entries in requests of up to 1000 (each all-or-nothing). Entries already described
 * so come back unchanged: provisioning the same fleet twice changes nothing.
 */
export async function putFleet(
  target: string,
  operatorKey: string,
  entries: readonly TurbineEntryJson[],
  onProgress?: (done: number, total: number) => void,
  retry: RetryOptions = {},
): Promise<ProvisionResult> {
  const result: ProvisionResult = { created: 0, replaced: 0, unchanged: 0 };
  for (let start = 0; start < entries.length; start += TURBINES_PER_PUT) {
    const chunk = entries.slice(start, start + TURBINES_PER_PUT);
    let answer: ProvisionResult;
    try {
      answer = await call<ProvisionResult>(
        target,
        operatorKey,
        "PUT",
        "/v1/turbines",
        { turbines: chunk },
        retry,
      );
    } catch (error) {
      if (error instanceof RegistryRequestError && start > 0) {
        error.message += ` (the first ${start} entries were stored by earlier requests)`;
      }
      // Indexes in the API's errors are within this request: make them the file's.
      if (error instanceof RegistryRequestError && error.problem?.errors) {
        for (const e of error.problem.errors) if (e.index !== undefined) e.index += start;
      }
      throw error;
    }
    result.created += answer.created;
    result.replaced += answer.replaced;
    result.unchanged += answer.unchanged;
    onProgress?.(start + chunk.length, entries.length);
  }
  return result;
}

export interface ListedTurbine extends TurbineEntryJson {
  registered: boolean;
  /** The generation of its current key (rotations make a new one); null when unregistered. */
  key_generation: number | null;
  last_seen: string | null;
  status: string | null;
  readings_24h: number;
}

/** Every turbine GET /v1/turbines lists (all pages), with `query` as its filters. */
export async function listFleet(
  target: string,
  key: string,
  query: Record<string, string> = {},
  onPage?: (count: number) => void,
  retry: RetryOptions = {},
): Promise<ListedTurbine[]> {
  const turbines: ListedTurbine[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ ...query, limit: "1000" });
    if (cursor) params.set("cursor", cursor);
    const page = await call<{ turbines: ListedTurbine[]; next_cursor: string | null }>(
      target,
      key,
      "GET",
      `/v1/turbines?${params}`,
      undefined,
      retry,
    );
    turbines.push(...page.turbines);
    onPage?.(turbines.length);
    cursor = page.next_cursor;
  } while (cursor);
  return turbines;
}
