// The fleet registry over HTTP: turbines described once (PUT), listed with what the store knows
// of them (GET), removed (DELETE; their readings stay).
//
//   PUT    /v1/turbines/{turbine_id}   operator          create (201) or replace (200); If-Match
//   PUT    /v1/turbines                operator          up to 1000 at once, all or nothing
//   GET    /v1/turbines                reader, operator  filters, cursor paging
//   GET    /v1/turbines/{turbine_id}   reader, operator, the turbine's own key
//   DELETE /v1/turbines/{turbine_id}   operator          If-Match
//
// Keys and permissions are checked in a middleware before the body is validated, so a caller
// who may not write learns that (401/403) rather than what is wrong with its body.

import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { mayRead } from "../auth/keys.ts";
import { problemResponse } from "../problem.ts";
import { readingFromRow } from "../queries/readings.ts";
import { queryTarget } from "../queries/sql.ts";
import {
  RECENT_MS,
  renderSeenTurbinesQuery,
  renderTurbineStatusQuery,
} from "../queries/turbine-status.ts";
import { READING_STATUSES, type StoredReading, TurbineIdSchema } from "../readings/schema.ts";
import { dimensionProblems, turbineDimensions } from "../registry/dimensions.ts";
import { PreconditionFailedError, type RegisteredTurbine } from "../registry/port.ts";
import {
  MAX_TURBINES_PER_PUT,
  TurbineBulkSchema,
  TurbineDescriptionSchema,
  TurbineSchema,
  type TurbineStatus,
  TurbineStatusSchema,
  toDescription,
  turbineJson,
} from "../registry/schema.ts";
import { authenticate, describePrincipal, forbidden } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";
import { invalidCursor, queryInteger } from "./query-params.ts";

export const TURBINES_PATH = "/v1/turbines";
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const TAG_FILTER = /^tag\.([A-Za-z][A-Za-z0-9_]{0,59})$/;

const params = z.object({ turbine_id: TurbineIdSchema });
const ifMatchHeader = z.object({
  "if-match": z.string().optional().openapi({
    description: 'Only if the stored record has this ETag (or "*": only if it exists).',
    example: '"3q2-7wEhPAqjvJ0GJ2pQ2w"',
  }),
});

const putRoute = createRoute({
  method: "put",
  path: `${TURBINES_PATH}/{turbine_id}`,
  operationId: "putTurbine",
  tags: ["registry"],
  summary: "Register or describe a turbine",
  description:
    "Creates (201) or replaces (200) the turbine's description; the answer is the stored record " +
    "with its ETag. With If-Match the write happens only if the stored record still has that ETag " +
    "(412 otherwise). Putting the same description again changes nothing (same ETag). Operator key.",
  security: [{ bearerAuth: [] }],
  request: {
    params,
    headers: ifMatchHeader,
    body: {
      required: true,
      content: { "application/json": { schema: TurbineDescriptionSchema } },
    },
  },
  responses: {
    200: {
      description: "Replaced (or unchanged).",
      content: { "application/json": { schema: TurbineSchema } },
    },
    201: { description: "Created.", content: { "application/json": { schema: TurbineSchema } } },
    400: problem("Malformed JSON, or a body that is not UTF-8."),
    401: problem("Missing or unknown API key."),
    403: problem("Not the operator key."),
    409: problem("The turbine kept changing under this write (other writers); send it again."),
    412: problem("If-Match does not match the stored record."),
    413: problem("The body is over 64 KiB."),
    415: problem("Content-Type is not application/json."),
    422: problem("Invalid description, each error with a JSON pointer."),
    503: problem("The registry is unavailable; retry."),
  },
});

const BulkResultSchema = z
  .object({
    created: z.number().int(),
    replaced: z.number().int(),
    unchanged: z.number().int(),
    turbines: z.array(
      z.object({
        turbine_id: z.string(),
        outcome: z.enum(["created", "replaced", "unchanged"]),
        etag: z.string(),
      }),
    ),
  })
  .openapi("TurbineBulkResult");

const putManyRoute = createRoute({
  method: "put",
  path: TURBINES_PATH,
  operationId: "putTurbines",
  tags: ["registry"],
  summary: "Register or describe many turbines (fleet import)",
  description: `Up to ${MAX_TURBINES_PER_PUT} turbines, all or nothing: any bad entry answers 422 naming every bad entry by index and field, and nothing is stored. Entries whose description is already stored are counted as unchanged. Operator key.`,
  security: [{ bearerAuth: [] }],
  request: {
    body: { required: true, content: { "application/json": { schema: TurbineBulkSchema } } },
  },
  responses: {
    200: {
      description: "Every turbine stored.",
      content: { "application/json": { schema: BulkResultSchema } },
    },
    400: problem("Malformed JSON, or a body that is not UTF-8."),
    401: problem("Missing or unknown API key."),
    403: problem("Not the operator key."),
    409: problem("Another writer changed some of these turbines meanwhile; nothing stored, retry."),
    413: problem("The body is over 4 MiB."),
    415: problem("Content-Type is not application/json."),
    422: problem("Bad entries, each with a JSON pointer and its index."),
    503: problem("The registry is unavailable; nothing stored, retry."),
  },
});

const listRoute = createRoute({
  method: "get",
  path: TURBINES_PATH,
  operationId: "listTurbines",
  tags: ["registry"],
  summary: "List turbines with what the store knows of them",
  description:
    "Registered turbines, and turbines that sent readings in the last 30 days without being " +
    "registered (`registered: false`), by turbine_id. Each has its registry fields, `last_seen`, " +
    "`status` and the last reading (within 30 days), and `readings_24h`. Filters: `project`, " +
    "`model`, `status`, `registered`, and any tag as `tag.<name>=<value>` (e.g. " +
    "`tag.province=Flevoland`); several filters must all hold. Paging: pass `next_cursor` as " +
    "`cursor`. Reader or operator key.",
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      project: z.string().optional(),
      model: z.string().optional(),
      status: z.enum(READING_STATUSES).optional(),
      registered: z.enum(["true", "false"]).optional(),
      cursor: z.string().optional().openapi({ description: "next_cursor of the previous page." }),
      limit: queryInteger(1, MAX_PAGE, DEFAULT_PAGE),
    }),
  },
  responses: {
    200: {
      description: "One page of turbines.",
      content: {
        "application/json": {
          schema: z.object({
            turbines: z.array(TurbineStatusSchema),
            next_cursor: z.string().nullable(),
          }),
        },
      },
    },
    401: problem("Missing or unknown API key."),
    403: problem("A turbine key."),
    422: problem("Bad parameters."),
    503: problem("The store or the registry is unavailable; retry."),
  },
});

const getRoute = createRoute({
  method: "get",
  path: `${TURBINES_PATH}/{turbine_id}`,
  operationId: "getTurbine",
  tags: ["registry"],
  summary: "One turbine with what the store knows of it",
  description:
    "The registry entry (ETag header when registered) and the store's view; a turbine that only " +
    "sent readings answers with `registered: false`. Reader or operator key, or its own key.",
  security: [{ bearerAuth: [] }],
  request: { params },
  responses: {
    200: {
      description: "The turbine.",
      content: { "application/json": { schema: TurbineStatusSchema } },
    },
    401: problem("Missing or unknown API key."),
    403: problem("The key may not read this turbine."),
    404: problem("Neither registered nor seen in the last 30 days."),
    422: problem("Bad turbine id."),
    503: problem("The store or the registry is unavailable; retry."),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: `${TURBINES_PATH}/{turbine_id}`,
  operationId: "deleteTurbine",
  tags: ["registry"],
  summary: "Remove a turbine's description (never its readings)",
  description:
    "The registry entry goes; stored readings stay, and the turbine is then listed as " +
    "unregistered. If-Match makes it conditional (412). Operator key.",
  security: [{ bearerAuth: [] }],
  request: { params, headers: ifMatchHeader },
  responses: {
    204: { description: "Removed." },
    401: problem("Missing or unknown API key."),
    403: problem("Not the operator key."),
    404: problem("Not registered."),
    412: problem("If-Match does not match the stored record."),
    422: problem("Bad turbine id."),
    503: problem("The registry is unavailable; retry."),
  },
});

/** A registration body: one description is a few KB at most (2 KB of dimensions, a name...). */
export const MAX_DESCRIPTION_BYTES = 64 * 1024;
/** A fleet import: up to 1000 descriptions. */
export const MAX_IMPORT_BYTES = 4 * 1024 * 1024;

function bodyTooLarge(maxSize: number, turbineId: string | undefined): Response {
  return problemResponse(
    413,
    "payload-too-large",
    "Payload too large",
    turbineId === undefined
      ? `A fleet import is at most ${maxSize / 1048576} MiB: split it into several PUT /v1/turbines requests (at most 1000 turbines each).`
      : `A turbine's description is at most ${maxSize / 1024} KiB: shorten its names and tags.`,
  );
}

/** The offset of the first byte that is not part of valid UTF-8, or null when all of it is. */
function invalidUtf8(bytes: Uint8Array): number | null {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return null;
  } catch {
    // Found again by hand only for the message: the decoder does not say where.
    for (let i = 0; i < bytes.length; ) {
      const lead = bytes[i] as number;
      const length =
        lead < 0x80
          ? 1
          : lead >= 0xc2 && lead < 0xe0
            ? 2
            : lead >= 0xe0 && lead < 0xf0
              ? 3
              : lead >= 0xf0 && lead < 0xf5
                ? 4
                : 0;
      if (length === 0 || i + length > bytes.length) return i;
      for (let k = 1; k < length; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(i, i + length));
      } catch {
        return i;
      }
      i += length;
    }
    return 0;
  }
}

export function registerTurbineRoutes(app: GustApp, deps: AppDeps): void {
  // Who may do what, before any body is read.
  const guard = async (c: Context, next: () => Promise<void>) => {
    const principal = await authenticate(c, deps);
    if (principal instanceof Response) return principal;
    const method = c.req.method;
    const turbineId = c.req.param("turbine_id");
    if (method === "GET" || method === "HEAD") {
      if (!mayRead(principal, turbineId)) {
        return forbidden(
          turbineId === undefined
            ? `${describePrincipal(principal)} may not list the fleet; use the reader or operator key.`
            : `${describePrincipal(principal)} may not read turbine "${turbineId}".`,
        );
      }
    } else if (principal.role !== "operator") {
      return forbidden(
        `${describePrincipal(principal)} may not change the registry; use the operator key.`,
      );
    }
    if (method !== "PUT") return next();
    if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
      return problemResponse(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        "Send the description as JSON with Content-Type: application/json.",
      );
    }
    // Bounded before it is read: by its declared length at once, else as it arrives.
    const maxSize = turbineId === undefined ? MAX_IMPORT_BYTES : MAX_DESCRIPTION_BYTES;
    let refused: Response | undefined;
    const limited = await bodyLimit({
      maxSize,
      onError: () => bodyTooLarge(maxSize, turbineId),
    })(c, async () => {
      const invalid = invalidUtf8(new Uint8Array(await c.req.arrayBuffer()));
      if (invalid === null) return next();
      refused = problemResponse(
        400,
        "invalid-utf8",
        "Body not UTF-8",
        `The body is not valid UTF-8 (byte ${invalid} starts no valid character): send the JSON encoded as UTF-8.`,
      );
    });
    return refused ?? limited;
  };
  app.use(TURBINES_PATH, guard);
  app.use(`${TURBINES_PATH}/:turbine_id`, guard);

  app.openapi(putRoute, async (c) => {
    const { turbine_id } = c.req.valid("param");
    const input = c.req.valid("json");
    const description = toDescription(input);
    const { fleet, measures } = await storeSchema(deps, new Set([turbine_id]));
    const limits = dimensionProblems(turbine_id, description, fleet, measures);
    if (limits.length > 0) return limitProblem(limits) as never;
    try {
      const { turbine, outcome } = await deps.registry.put(turbine_id, description, {
        ...ifMatchOption(c.req.header("if-match")),
      });
      c.header("etag", `"${turbine.etag}"`);
      return c.json(turbineJson(turbine), outcome === "created" ? 201 : 200);
    } catch (error) {
      if (error instanceof PreconditionFailedError) return preconditionFailed(error) as never;
      throw error;
    }
  });

  app.openapi(putManyRoute, async (c) => {
    const { turbines } = c.req.valid("json");
    const errors: { path: (string | number)[]; message: string }[] = [];
    const { fleet, measures } = await storeSchema(deps, new Set(turbines.map((t) => t.turbine_id)));
    const firstIndex = new Map<string, number>();
    const entries = turbines.map((entry, index) => {
      const { turbine_id, ...input } = entry;
      const earlier = firstIndex.get(turbine_id);
      if (earlier !== undefined) {
        errors.push({
          path: ["turbines", index, "turbine_id"],
          message: `"${turbine_id}" is also entry ${earlier}: each turbine once per request`,
        });
      } else firstIndex.set(turbine_id, index);
      const description = toDescription(input);
      for (const p of dimensionProblems(turbine_id, description, fleet, measures)) {
        errors.push({ path: ["turbines", index, ...p.path], message: p.message });
      }
      // The import's own names count towards the table's limit for the entries after it.
      for (const name of Object.keys(turbineDimensions(description))) fleet.add(name);
      return { turbine_id, description };
    });
    if (errors.length > 0) return limitProblem(errors, "import") as never;
    const results = await deps.registry.putMany(entries);
    const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
    return c.json(
      {
        created: count("created"),
        replaced: count("replaced"),
        unchanged: count("unchanged"),
        turbines: results.map((r) => ({
          turbine_id: r.turbine.turbine_id,
          outcome: r.outcome,
          etag: r.turbine.etag,
        })),
      },
      200,
    );
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const tagFilters: [string, string][] = [];
    for (const [name, values] of Object.entries(c.req.queries())) {
      if (!name.startsWith("tag.")) continue;
      const tag = TAG_FILTER.exec(name)?.[1];
      if (!tag || values.length !== 1) {
        return problemResponse(
          422,
          "validation",
          "Invalid request",
          `The query string has a bad tag filter "${name}": write tag.<name>=<value> once per tag, names 1-60 of A-Z a-z 0-9 _ starting with a letter.`,
          { errors: [{ pointer: `/${name}`, detail: "bad tag filter" }] },
        ) as never;
      }
      tagFilters.push([tag, values[0] as string]);
    }
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = Buffer.from(query.cursor, "base64url").toString();
      if (!TurbineIdSchema.safeParse(after).success) {
        return invalidCursor() as never;
      }
    }
    const { turbines, next_cursor } = await listPage(deps, {
      ...query,
      tagFilters,
      ...(after === undefined ? {} : { after }),
    });
    return c.json({ turbines, next_cursor }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { turbine_id } = c.req.valid("param");
    const [turbine] = await fleetStatus(deps, turbine_id);
    if (!turbine) {
      return problemResponse(
        404,
        "not-found",
        "Not found",
        `Turbine "${turbine_id}" is not registered and sent no readings in the last 30 days. Register it with PUT /v1/turbines/${turbine_id} (operator key).`,
      ) as never;
    }
    if (turbine.etag) c.header("etag", `"${turbine.etag}"`);
    return c.json(turbine, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { turbine_id } = c.req.valid("param");
    try {
      const deleted = await deps.registry.delete(
        turbine_id,
        ifMatchOption(c.req.header("if-match")),
      );
      if (!deleted) {
        return problemResponse(
          404,
          "not-found",
          "Not found",
          `Turbine "${turbine_id}" is not registered; nothing to remove.`,
        ) as never;
      }
      return c.body(null, 204) as never;
    } catch (error) {
      if (error instanceof PreconditionFailedError) return preconditionFailed(error) as never;
      throw error;
    }
  });
}

interface ListFilters {
  project?: string | undefined;
  model?: string | undefined;
  status?: string | undefined;
  registered?: "true" | "false" | undefined;
  tagFilters: [string, string][];
  after?: string;
  limit: number;
}

/**
 * One page of the listing, paged before the store is asked: the candidates (registered turbines
 * that match the registry's filters, and the ids alone of unregistered turbines that reported)
 * are put in order, and the store's status query runs for one chunk of them at a time, until the
 * page is full. A page thus costs the store and the event loop its own turbines, not the fleet.
 */
async function listPage(
  deps: AppDeps,
  filters: ListFilters,
): Promise<{ turbines: TurbineStatus[]; next_cursor: string | null }> {
  const { after, limit } = filters;
  const registered = await deps.registry.list();
  const byId = new Map<string, RegisteredTurbine>();
  for (const turbine of registered) byId.set(turbine.turbine_id, turbine);
  const candidates: string[] = [];
  if (filters.registered !== "false") {
    for (const t of registered) {
      if (
        (after === undefined || t.turbine_id > after) &&
        (filters.project === undefined || t.project === filters.project) &&
        (filters.model === undefined || t.model === filters.model) &&
        filters.tagFilters.every(([tag, value]) => t.tags[tag] === value)
      ) {
        candidates.push(t.turbine_id);
      }
    }
  }
  // An unregistered turbine has no project, model or tags: it matches no filter on them.
  const unregisteredMatch =
    filters.registered !== "true" &&
    filters.project === undefined &&
    filters.model === undefined &&
    filters.tagFilters.length === 0;
  if (unregisteredMatch) {
    // Where the write path keeps last-seen records (Lambda), they name the turbines that
    // reported: no scan of 30 days of readings.
    const now = deps.clock.now();
    const seen = deps.lastSeen
      ? [...(await deps.lastSeen.all()).keys()]
      : (
          await deps.store.select(
            renderSeenTurbinesQuery(queryTarget(deps.store), { now, ...(after ? { after } : {}) }),
          )
        ).map((row) => String(row.turbine_id));
    for (const id of seen) {
      if (!byId.has(id) && (after === undefined || id > after)) candidates.push(id);
    }
  }
  candidates.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // One more than the page, to know whether another page follows.
  const found: TurbineStatus[] = [];
  const chunk = filters.status === undefined ? limit + 1 : STATUS_CHUNK;
  for (let start = 0; start < candidates.length && found.length <= limit; start += chunk) {
    const ids = candidates.slice(start, start + chunk);
    for (const status of await statusesOf(deps, ids, byId)) {
      if (filters.status === undefined || status.status === filters.status) found.push(status);
    }
  }
  const page = found.slice(0, limit);
  const last = page.at(-1);
  return {
    turbines: page,
    next_cursor:
      found.length > limit && last ? Buffer.from(last.turbine_id).toString("base64url") : null,
  };
}

/** Turbines whose status a listing filtered by status asks the store for at once. */
const STATUS_CHUNK = 1000;

/** The registry and the store's view of these turbines merged, in the order given. */
async function statusesOf(
  deps: AppDeps,
  ids: readonly string[],
  byId: ReadonlyMap<string, RegisteredTurbine>,
): Promise<TurbineStatus[]> {
  if (ids.length === 0) return [];
  // Where the write path keeps last-seen records (Lambda), the store is asked about the last
  // 24 hours only (what readings_24h counts), and a turbine quiet for longer shows its record's
  // reading: no scan of 30 days of readings.
  const [rows, records] = await Promise.all([
    deps.store.select(
      renderTurbineStatusQuery(queryTarget(deps.store), {
        now: deps.clock.now(),
        turbineIds: ids,
        ...(deps.lastSeen ? { lookbackMs: RECENT_MS } : {}),
      }),
    ),
    deps.lastSeen?.all(),
  ]);
  const seen = new Map<string, { last: StoredReading; readings24h: number }>();
  for (const row of rows) {
    const { readings_24h, ...reading } = row;
    seen.set(String(row.turbine_id), {
      last: readingFromRow(reading),
      readings24h: Number(readings_24h ?? 0),
    });
  }
  for (const id of ids) {
    const record = records?.get(id);
    if (seen.has(id) || !record) continue;
    seen.set(id, {
      last: { ...record.reading, time: new Date(record.reading.time).toISOString() },
      readings24h: 0,
    });
  }
  return ids.map((id) => statusOf(id, byId.get(id) ?? null, seen.get(id) ?? null));
}

/** The registry and the store's view of one turbine; empty when it is neither. */
async function fleetStatus(deps: AppDeps, only: string): Promise<TurbineStatus[]> {
  const turbine = await deps.registry.get(only);
  const byId = new Map(turbine ? [[only, turbine]] : []);
  const [status] = await statusesOf(deps, [only], byId);
  return status && (turbine || status.last_seen !== null) ? [status] : [];
}

function statusOf(
  turbineId: string,
  turbine: RegisteredTurbine | null,
  seen: { last: StoredReading; readings24h: number } | null,
): TurbineStatus {
  const last: TurbineStatus["last_reading"] = seen?.last ?? null;
  const readings24h = seen?.readings24h ?? 0;
  const store = {
    last_seen: last?.time ?? null,
    status: last?.status ?? null,
    readings_24h: readings24h,
    last_reading: last,
  };
  if (turbine) return { registered: true, ...turbineJson(turbine), ...store };
  return {
    turbine_id: turbineId,
    registered: false,
    name: null,
    project: null,
    model: null,
    rated_kw: null,
    hub_height_m: null,
    rotor_diameter_m: null,
    latitude: null,
    longitude: null,
    commissioned: null,
    tags: {},
    etag: null,
    updated_at: null,
    key_generation: null,
    ...store,
  };
}

/** If-Match as the registry takes it: one etag (quotes and W/ dropped), or "*". */
function ifMatchOption(header: string | undefined): { ifMatch?: string } {
  if (header === undefined) return {};
  const value = header.trim();
  if (value === "*") return { ifMatch: "*" };
  return { ifMatch: value.replace(/^W\//, "").replace(/^"(.*)"$/, "$1") };
}

function preconditionFailed(error: PreconditionFailedError): Response {
  return problemResponse(
    412,
    "precondition-failed",
    "Precondition failed",
    error.currentEtag === null
      ? `Turbine "${error.turbineId}" is not registered, so If-Match cannot match: put it without If-Match to create it.`
      : `Turbine "${error.turbineId}" was changed by someone else: its ETag is now "${error.currentEtag}". GET it, reapply your change, and put it again with that ETag.`,
    error.currentEtag === null ? {} : { headers: { etag: `"${error.currentEtag}"` } },
  );
}

/**
 * What a description is checked against besides itself: the dimension names of every other
 * registered turbine (a table's 128 are the fleet's), and the store's measure names.
 */
async function storeSchema(
  deps: AppDeps,
  replaced: ReadonlySet<string>,
): Promise<{ fleet: Set<string>; measures: ReadonlySet<string> }> {
  const fleet = new Set<string>(["turbine_id"]);
  for (const turbine of await deps.registry.list()) {
    if (replaced.has(turbine.turbine_id)) continue;
    for (const name of Object.keys(turbineDimensions(turbine))) fleet.add(name);
  }
  return { fleet, measures: await deps.store.measureColumns() };
}

function limitProblem(
  problems: { path: (string | number)[]; message: string }[],
  where: "description" | "import" = "description",
): Response {
  const errors = problems.map((p) => {
    const pointer = `/${p.path.map((part) => String(part).replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
    return {
      pointer,
      detail: p.message,
      ...(p.path[0] === "turbines" && typeof p.path[1] === "number" ? { index: p.path[1] } : {}),
    };
  });
  const first = errors[0];
  return problemResponse(
    422,
    "validation",
    "Invalid request",
    `The ${where} has ${errors.length} error(s); nothing was stored.${first ? ` First: ${first.pointer}: ${first.detail}.` : ""}`,
    { errors },
  );
}
