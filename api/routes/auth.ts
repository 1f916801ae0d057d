// Bearer keys on every data route: who is calling, and may they do this?
import type { Context } from "hono";
import { clientAddress, FailedKeyThrottle } from "../auth/failed-keys.ts";
import { type Principal, verifyKey } from "../auth/keys.ts";
import { problemResponse } from "../problem.ts";
import { sleep } from "../time/clock.ts";
import type { AppDeps } from "./deps.ts";

/**
 * What authentication reads of a request: its Authorization header and, for the failed-key
 * throttle, the runtime's environment (the caller's address). A Hono Context is one; the Node
 * server's direct ingest route (api/ingest-listener.ts) passes its own.
 */
export interface AuthRequest {
  header(name: string): string | undefined;
  env: unknown;
}

/** A Hono Context as what authentication reads. */
const fromContext = (c: Context): AuthRequest => ({
  header: (name) => c.req.header(name),
  env: c.env,
});

/** The caller's principal, or the 401 to answer. Keys are never logged or echoed. */
export async function authenticate(
  c: Context | AuthRequest,
  deps: AppDeps,
): Promise<Principal | Response> {
  const request = "req" in c ? fromContext(c) : c;
  const header = request.header("authorization");
  const match = header?.match(/^Bearer[ ]+(\S+)\s*$/i);
  if (!match?.[1]) {
    // No key at all is not a guess: answered at once (a browser opening /docs links, say).
    if (!header) return unauthorized("No API key sent.");
    return failedAttempt(
      request,
      deps,
      "The Authorization header is not of the form `Bearer <key>`.",
    );
  }
  const secret = await deps.keySecret();
  // The cache is per secret: a key valid under one secret says nothing under another.
  const cacheKey = `${secret}\n${match[1]}`;
  const principal = verifiedKeys.get(cacheKey) ?? verifyKey(secret, match[1]);
  if (!principal) return failedAttempt(request, deps, "The API key is not valid for this server.");
  remember(cacheKey, principal);
  // Only the current generation: a rotation revokes the older keys at once (on Lambda once
  // the registry's per-container cache has expired, REGISTRY_CACHE_SECONDS). A deleted
  // turbine's tombstone keeps its generation, so deleting brings no revoked key back.
  const current =
    principal.role === "turbine"
      ? await deps.registry.keyGeneration(principal.turbineId)
      : await deps.registry.roleKeyGeneration(principal.role);
  if (principal.keyGeneration !== current) {
    const whose =
      principal.role === "turbine" ? `of turbine "${principal.turbineId}"` : `(${principal.role})`;
    return failedAttempt(
      request,
      deps,
      `This key ${whose} was revoked by a key rotation (it is generation ${principal.keyGeneration}, the current one is ${current}).`,
      { current_key_generation: current },
    );
  }
  return principal;
}

// Keys that verified, so that a turbine's every request does not recompute its HMAC. Only valid
// keys are kept (an attacker cannot fill it with guesses), and at most this many.
const MAX_VERIFIED_KEYS = 10_000;
const verifiedKeys = new Map<string, Principal>();

function remember(cacheKey: string, principal: Principal): void {
  if (verifiedKeys.has(cacheKey)) return;
  if (verifiedKeys.size >= MAX_VERIFIED_KEYS) verifiedKeys.clear();
  verifiedKeys.set(cacheKey, principal);
}

// One count per app (a test's servers do not share it), kept beside the app's dependencies.
const failedKeys = new WeakMap<AppDeps, FailedKeyThrottle>();

/**
 * A 401 for a wrong key; once its address has failed too often, answered late on a server, or
 * at once with a 429 and Retry-After on Lambda, where a sleeping invocation would hold one of the
 * function's reserved executions and be billed (docs/adr/015-failed-keys-on-lambda.md).
 */
async function failedAttempt(
  request: AuthRequest,
  deps: AppDeps,
  why: string,
  extensions: Record<string, unknown> = {},
): Promise<Response> {
  let throttle = failedKeys.get(deps);
  if (!throttle) {
    throttle = new FailedKeyThrottle(deps.clock.now);
    failedKeys.set(deps, throttle);
  }
  const delay = throttle.fail(clientAddress(request.env));
  if (delay > 0 && deps.failedKeys === "refuse") return tooManyFailures(delay);
  if (delay > 0) await sleep(deps.clock, delay);
  return unauthorized(why, extensions);
}

function tooManyFailures(delayMs: number): Response {
  const seconds = Math.max(1, Math.ceil(delayMs / 1000));
  return problemResponse(
    429,
    "too-many-failed-keys",
    "Too many failed keys",
    `Too many requests with a wrong API key from this address: wait ${seconds} s (Retry-After) before the next one, and check the key (keys come from \`npm run keys\` on the server; a rotated turbine key needs the new one).`,
    { headers: { "retry-after": String(seconds) } },
  );
}

function unauthorized(why: string, extensions: Record<string, unknown> = {}): Response {
  return problemResponse(
    401,
    "unauthorized",
    "Unauthorized",
    `${why} Send Authorization: Bearer <key>; keys come from \`npm run keys\` on the server.`,
    { headers: { "www-authenticate": 'Bearer realm="gust"' }, extensions },
  );
}

/**
 * A reader or operator: the keys that may see the whole fleet. A turbine's key gets a 403 that
 * names what it tried (`action`, e.g. "read fleet power") and which key to use instead.
 */
export async function authenticateFleetReader(
  c: Context,
  deps: AppDeps,
  action: string,
): Promise<Principal | Response> {
  const principal = await authenticate(c, deps);
  if (principal instanceof Response || principal.role !== "turbine") return principal;
  return forbidden(
    `${describePrincipal(principal)} may not ${action}: use a reader or operator key.`,
  );
}

/**
 * The operator key only: any other key gets a 403 that names what it tried (`action`, e.g.
 * "rotate keys") and says to use the operator key.
 */
export async function authenticateOperator(
  c: Context,
  deps: AppDeps,
  action: string,
): Promise<Principal | Response> {
  const principal = await authenticate(c, deps);
  if (principal instanceof Response || principal.role === "operator") return principal;
  return forbidden(`${describePrincipal(principal)} may not ${action}; use the operator key.`);
}

export function forbidden(detail: string): Response {
  return problemResponse(403, "forbidden", "Forbidden", detail);
}

export function describePrincipal(principal: Principal): string {
  return principal.role === "turbine"
    ? `the key of turbine "${principal.turbineId}"`
    : `the ${principal.role} key`;
}
