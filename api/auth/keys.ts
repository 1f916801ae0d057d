// API keys derived from one secret, so that no database of keys is needed.
//
//   turbine key:  gust.t.<base64url(turbine_id)>.<mac>   may write and read that turbine only
//   operator key: gust.op.<mac>                          may write and read any turbine
//   reader key:   gust.rd.<mac>                          may read, may not write
//
// <mac> is HMAC-SHA256(secret, "<role>:<subject>") in base64url. The turbine id travels in the
// key so that a valid key for the wrong turbine is told apart (403) from an unknown key (401).
import { createHmac, timingSafeEqual } from "node:crypto";
import { TURBINE_ID_PATTERN } from "../readings/schema.ts";

export type Principal = { role: "turbine"; turbineId: string } | { role: "operator" | "reader" };

const ROLE_PREFIX = { operator: "gust.op.", reader: "gust.rd." } as const;
const TURBINE_PREFIX = "gust.t.";

function mac(secret: string, message: string): string {
  return createHmac("sha256", secret).update(message).digest("base64url");
}

export function turbineKey(secret: string, turbineId: string): string {
  return `${TURBINE_PREFIX}${Buffer.from(turbineId).toString("base64url")}.${mac(secret, `turbine:${turbineId}`)}`;
}

export function roleKey(secret: string, role: "operator" | "reader"): string {
  return `${ROLE_PREFIX[role]}${mac(secret, `role:${role}`)}`;
}

function macMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The principal a key stands for, or null when the key is not one of ours. */
export function verifyKey(secret: string, key: string): Principal | null {
  for (const role of ["operator", "reader"] as const) {
    if (key.startsWith(ROLE_PREFIX[role])) {
      const given = key.slice(ROLE_PREFIX[role].length);
      return macMatches(given, mac(secret, `role:${role}`)) ? { role } : null;
    }
  }
  if (!key.startsWith(TURBINE_PREFIX)) return null;
  const [encodedId, given, ...rest] = key.slice(TURBINE_PREFIX.length).split(".");
  if (!encodedId || !given || rest.length > 0) return null;
  // Only the canonical spelling: base64url decoding is lenient (padding, stray characters, the
  // unused low bits of the last character), so many spellings would decode to the same id.
  const turbineId = Buffer.from(encodedId, "base64url").toString();
  if (!TURBINE_ID_PATTERN.test(turbineId)) return null;
  if (Buffer.from(turbineId).toString("base64url") !== encodedId) return null;
  return macMatches(given, mac(secret, `turbine:${turbineId}`))
    ? { role: "turbine", turbineId }
    : null;
}

export function mayWrite(principal: Principal, turbineId: string): boolean {
  if (principal.role === "operator") return true;
  return principal.role === "turbine" && principal.turbineId === turbineId;
}

export function mayRead(principal: Principal, turbineId?: string): boolean {
  if (principal.role === "operator" || principal.role === "reader") return true;
  return principal.role === "turbine" && principal.turbineId === turbineId;
}
