// API keys derived from one secret, so that no database of keys is needed.
//
//   turbine key:  gust.t.<base64url(turbine_id)>.<mac>   may write and read that turbine only
//   rotated:      gust.t.<base64url(turbine_id)>.<generation>.<mac>  (generation 2, 3, ...)
//   operator key: gust.op.<mac>                          may write and read any turbine
//   reader key:   gust.rd.<mac>                          may read, may not write
//
// <mac> is HMAC-SHA256(secret, "<role>:<subject>") in base64url. The turbine id travels in the
// key so that a valid key for the wrong turbine is told apart (403) from an unknown key (401).
// A registered turbine's key_generation (api/registry) says which generation is current: a
// rotation bumps it, and keys of other generations are refused (routes/auth.ts). Generation 1 is
// the key of old, so unregistered turbines and turbines never rotated keep theirs.
import { createHmac, timingSafeEqual } from "node:crypto";
import { TURBINE_ID_PATTERN } from "../readings/limits.ts";

export type Principal =
  | { role: "turbine"; turbineId: string; keyGeneration: number }
  | { role: "operator" | "reader" };

const ROLE_PREFIX = { operator: "gust.op.", reader: "gust.rd." } as const;
const TURBINE_PREFIX = "gust.t.";

function mac(secret: string, message: string): string {
  return createHmac("sha256", secret).update(message).digest("base64url");
}

export function turbineKey(secret: string, turbineId: string, generation = 1): string {
  const id = Buffer.from(turbineId).toString("base64url");
  if (generation === 1) return `${TURBINE_PREFIX}${id}.${mac(secret, `turbine:${turbineId}`)}`;
  return `${TURBINE_PREFIX}${id}.${generation}.${mac(secret, `turbine:${turbineId}:${generation}`)}`;
}

// Decimal, no leading zero, 2 or more: the one spelling of a rotated generation.
const GENERATION = /^[1-9][0-9]{0,8}$/;

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
  const parts = key.slice(TURBINE_PREFIX.length).split(".");
  if (parts.length !== 2 && parts.length !== 3) return null;
  const encodedId = parts[0];
  const given = parts.at(-1);
  const generationText = parts.length === 3 ? (parts[1] as string) : "1";
  if (!encodedId || !given || !GENERATION.test(generationText)) return null;
  const generation = Number(generationText);
  if (parts.length === 3 && generation < 2) return null;
  // Only the canonical spelling: base64url decoding is lenient (padding, stray characters, the
  // unused low bits of the last character), so many spellings would decode to the same id.
  const turbineId = Buffer.from(encodedId, "base64url").toString();
  if (!TURBINE_ID_PATTERN.test(turbineId)) return null;
  if (Buffer.from(turbineId).toString("base64url") !== encodedId) return null;
  const message = generation === 1 ? `turbine:${turbineId}` : `turbine:${turbineId}:${generation}`;
  return macMatches(given, mac(secret, message))
    ? { role: "turbine", turbineId, keyGeneration: generation }
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
