// API keys derived from one secret, so that no database of keys is needed.
//
//   turbine key:  gust.t.<base64url(turbine_id)>.<mac>               generation 1
//                 gust.t.<base64url(turbine_id)>.<generation>.<mac>  generation 2, 3, ...
//   operator key: gust.op.<mac>  or  gust.op.<generation>.<mac>      may write and read any turbine
//   reader key:   gust.rd.<mac>  or  gust.rd.<generation>.<mac>      may read, may not write
//
// <mac> is HMAC-SHA256(secret, signedMessage(...)) in base64url. The signed message is
// length-prefixed (docs/adr/ on key encoding): no two (subject, generation) pairs sign the same
// bytes, whatever the turbine id contains. The turbine id travels in the key so that a valid
// key for the wrong turbine is told apart (403) from an unknown key (401).
//
// Keys issued before this encoding signed "turbine:<id>[:<generation>]" and "role:<role>".
// That text is ambiguous once an id contains ':' (generation 2 of "kc" signed what generation 1
// of "kc:2" signs), so it is still accepted only where it cannot be a forgery: generation-1 keys
// of turbine ids without ':' and of the roles (legacyMessage). Most deployed keys keep working.
//
// The registry says which generation of each key is current (api/registry: a turbine's
// key_generation, the roles' generations); a rotation bumps it and routes/auth.ts refuses keys
// of other generations.
import { createHmac, timingSafeEqual } from "node:crypto";
import { TURBINE_ID_PATTERN } from "../readings/limits.ts";

export type Role = "operator" | "reader";
export const ROLES: readonly Role[] = ["operator", "reader"];

export type Principal =
  | { role: "turbine"; turbineId: string; keyGeneration: number }
  | { role: Role; keyGeneration: number };

const ROLE_PREFIX = { operator: "gust.op.", reader: "gust.rd." } as const;
const TURBINE_PREFIX = "gust.t.";

/**
 * What a key of `subject` at `generation` signs: a fixed domain, the kind, the subject's UTF-8
 * length before the subject, then the generation. Every field but the last is fixed-set or
 * length-prefixed, so the message names exactly one (kind, subject, generation).
 */
export function signedMessage(
  kind: "turbine" | "role",
  subject: string,
  generation: number,
): string {
  return `gust-key/2\n${kind}\n${Buffer.byteLength(subject)}:${subject}\n${generation}`;
}

/**
 * The earlier releases' message where it is still accepted, else null. Only generation 1 of a
 * role or of a turbine id without ':': the old text of a rotated key, "turbine:X:N", is also
 * what the old releases signed as the key of turbine "X:N", so accepting it would keep the
 * forgery. Rotated turbines and ids with ':' take a key of the new encoding (npm run keys).
 */
export function legacyMessage(
  kind: "turbine" | "role",
  subject: string,
  generation: number,
): string | null {
  if (generation !== 1) return null;
  if (kind === "role") return `role:${subject}`;
  return subject.includes(":") ? null : `turbine:${subject}`;
}

function mac(secret: string, message: string): string {
  return createHmac("sha256", secret).update(message).digest("base64url");
}

function withGeneration(prefix: string, generation: number, signature: string): string {
  return generation === 1 ? `${prefix}${signature}` : `${prefix}${generation}.${signature}`;
}

export function turbineKey(secret: string, turbineId: string, generation = 1): string {
  const prefix = `${TURBINE_PREFIX}${Buffer.from(turbineId).toString("base64url")}.`;
  return withGeneration(
    prefix,
    generation,
    mac(secret, signedMessage("turbine", turbineId, generation)),
  );
}

export function roleKey(secret: string, role: Role, generation = 1): string {
  return withGeneration(
    ROLE_PREFIX[role],
    generation,
    mac(secret, signedMessage("role", role, generation)),
  );
}

// Decimal, no leading zero: the one spelling of a generation (2 or more in a key).
const GENERATION = /^[1-9][0-9]{0,8}$/;

function macMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Does `given` sign this subject and generation, in the current or the accepted old encoding? */
function signs(
  secret: string,
  given: string,
  kind: "turbine" | "role",
  subject: string,
  generation: number,
): boolean {
  if (macMatches(given, mac(secret, signedMessage(kind, subject, generation)))) return true;
  const legacy = legacyMessage(kind, subject, generation);
  return legacy !== null && macMatches(given, mac(secret, legacy));
}

/** "[<generation>.]<mac>" as its generation and mac, or null when not of that form. */
function generationAndMac(parts: string[]): { generation: number; given: string } | null {
  if (parts.length !== 1 && parts.length !== 2) return null;
  const given = parts.at(-1);
  const generationText = parts.length === 2 ? (parts[0] as string) : "1";
  if (!given || !GENERATION.test(generationText)) return null;
  const generation = Number(generationText);
  if (parts.length === 2 && generation < 2) return null;
  return { generation, given };
}

/** The principal a key stands for, or null when the key is not one of ours. */
export function verifyKey(secret: string, key: string): Principal | null {
  for (const role of ROLES) {
    if (key.startsWith(ROLE_PREFIX[role])) {
      const parsed = generationAndMac(key.slice(ROLE_PREFIX[role].length).split("."));
      if (!parsed) return null;
      return signs(secret, parsed.given, "role", role, parsed.generation)
        ? { role, keyGeneration: parsed.generation }
        : null;
    }
  }
  if (!key.startsWith(TURBINE_PREFIX)) return null;
  const [encodedId, ...rest] = key.slice(TURBINE_PREFIX.length).split(".");
  const parsed = generationAndMac(rest);
  if (!encodedId || !parsed) return null;
  // Only the canonical spelling: base64url decoding is lenient (padding, stray characters, the
  // unused low bits of the last character), so many spellings would decode to the same id.
  const turbineId = Buffer.from(encodedId, "base64url").toString();
  if (!TURBINE_ID_PATTERN.test(turbineId)) return null;
  if (Buffer.from(turbineId).toString("base64url") !== encodedId) return null;
  return signs(secret, parsed.given, "turbine", turbineId, parsed.generation)
    ? { role: "turbine", turbineId, keyGeneration: parsed.generation }
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
