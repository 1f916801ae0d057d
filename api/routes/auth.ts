// Bearer keys on every data route: who is calling, and may they do this?
import type { Context } from "hono";
import { type Principal, verifyKey } from "../auth/keys.ts";
import { problemResponse } from "../problem.ts";
import type { AppDeps } from "./deps.ts";

/** The caller's principal, or the 401 to answer. Keys are never logged or echoed. */
export async function authenticate(c: Context, deps: AppDeps): Promise<Principal | Response> {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer[ ]+(\S+)\s*$/i);
  if (!match?.[1]) {
    return unauthorized(
      header ? "The Authorization header is not of the form `Bearer <key>`." : "No API key sent.",
    );
  }
  const secret = await deps.keySecret();
  // The cache is per secret: a key valid under one secret says nothing under another.
  const cacheKey = `${secret}\n${match[1]}`;
  const principal = verifiedKeys.get(cacheKey) ?? verifyKey(secret, match[1]);
  if (!principal) return unauthorized("The API key is not valid for this server.");
  remember(cacheKey, principal);
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

function unauthorized(why: string): Response {
  return problemResponse(
    401,
    "unauthorized",
    "Unauthorized",
    `${why} Send Authorization: Bearer <key>; keys come from \`npm run keys\` on the server.`,
    { headers: { "www-authenticate": 'Bearer realm="gust"' } },
  );
}

export function forbidden(detail: string): Response {
  return problemResponse(403, "forbidden", "Forbidden", detail);
}

export function describePrincipal(principal: Principal): string {
  return principal.role === "turbine"
    ? `the key of turbine "${principal.turbineId}"`
    : `the ${principal.role} key`;
}
