// Keys sign a length-prefixed message (docs/adr/on key encoding): the forgery of issue 32 item 2
// is gone, no two (subject, generation) pairs share a signature, and the keys earlier releases
// issued keep working where they cannot be a forgery.
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  legacyMessage,
  roleKey,
  signedMessage,
  turbineKey,
  verifyKey,
} from "../../api/auth/keys.ts";

const SECRET = "key-encoding-secret-0123456789";
const b64 = (text: string) => Buffer.from(text).toString("base64url");
const mac = (message: string) => createHmac("sha256", SECRET).update(message).digest("base64url");
const macOf = (key: string) => key.split(".").at(-1) as string;

/** A key exactly as the releases before this encoding issued it. */
function oldReleaseKey(turbineId: string, generation = 1): string {
  return generation === 1
    ? `gust.t.${b64(turbineId)}.${mac(`turbine:${turbineId}`)}`
    : `gust.t.${b64(turbineId)}.${generation}.${mac(`turbine:${turbineId}:${generation}`)}`;
}

describe("the forgery of a rotated key through an id with ':'", () => {
  it("the key of turbine kc:2 does not sign generation 2 of turbine kc", () => {
    const kc2 = turbineKey(SECRET, "kc:2");
    const forged = `gust.t.${b64("kc")}.2.${macOf(kc2)}`;
    expect(verifyKey(SECRET, forged)).toBeNull();
    expect(macOf(turbineKey(SECRET, "kc", 2))).not.toBe(macOf(kc2));
  });

  it("an old release's key of kc:2 opens neither kc:2 nor kc", () => {
    const old = oldReleaseKey("kc:2");
    expect(verifyKey(SECRET, old)).toBeNull();
    expect(verifyKey(SECRET, `gust.t.${b64("kc")}.2.${macOf(old)}`)).toBeNull();
  });
});

describe("migration from the old encoding", () => {
  it("keeps generation-1 keys of ids without ':' and the roles' first keys", () => {
    for (const id of ["nl-0042", "WT.7", "a_b"]) {
      expect(verifyKey(SECRET, oldReleaseKey(id))).toEqual({
        role: "turbine",
        turbineId: id,
        keyGeneration: 1,
      });
    }
    expect(verifyKey(SECRET, `gust.op.${mac("role:operator")}`)).toEqual({
      role: "operator",
      keyGeneration: 1,
    });
    expect(verifyKey(SECRET, `gust.rd.${mac("role:reader")}`)).toEqual({
      role: "reader",
      keyGeneration: 1,
    });
  });

  it("refuses old keys of ids with ':' and of rotated generations (ambiguous: re-key those)", () => {
    expect(verifyKey(SECRET, oldReleaseKey("site:7"))).toBeNull();
    expect(verifyKey(SECRET, oldReleaseKey("nl-0042", 2))).toBeNull();
    // Their new keys verify.
    expect(verifyKey(SECRET, turbineKey(SECRET, "site:7"))).toMatchObject({ turbineId: "site:7" });
    expect(verifyKey(SECRET, turbineKey(SECRET, "nl-0042", 2))).toMatchObject({
      keyGeneration: 2,
    });
  });
});

// Ids drawn from few characters, ':' and digits among them, so that near-collisions are common.
const turbineId = fc
  .array(fc.constantFrom("k", "c", ":", "1", "2", "-", "."), { minLength: 1, maxLength: 8 })
  .map((chars) => chars.join(""));
const generation = fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 1e9 - 1 }));
const subject = fc.oneof(
  fc.record({ kind: fc.constant("turbine" as const), name: turbineId, generation }),
  fc.record({
    kind: fc.constant("role" as const),
    name: fc.constantFrom("operator", "reader"),
    generation,
  }),
);
type Subject = { kind: "turbine" | "role"; name: string; generation: number };
const same = (a: Subject, b: Subject) =>
  a.kind === b.kind && a.name === b.name && a.generation === b.generation;
/** Every message a key of this subject may sign and be accepted. */
const accepted = (s: Subject) =>
  [signedMessage(s.kind, s.name, s.generation), legacyMessage(s.kind, s.name, s.generation)].filter(
    (m): m is string => m !== null,
  );

describe("no two (subject, generation) pairs share a key", () => {
  it("accepted messages of different pairs never coincide", () => {
    fc.assert(
      fc.property(subject, subject, (a, b) => {
        fc.pre(!same(a, b));
        const theirs = new Set(accepted(b));
        return accepted(a).every((m) => !theirs.has(m));
      }),
      { numRuns: 5_000 },
    );
  });

  it("every issued key verifies as its own pair and no other", () => {
    fc.assert(
      fc.property(turbineId, generation, (id, g) => {
        const key = turbineKey(SECRET, id, g);
        expect(verifyKey(SECRET, key)).toEqual({
          role: "turbine",
          turbineId: id,
          keyGeneration: g,
        });
      }),
      { numRuns: 1_000 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom("operator" as const, "reader" as const),
        generation,
        (role, g) => {
          expect(verifyKey(SECRET, roleKey(SECRET, role, g))).toEqual({ role, keyGeneration: g });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the signature of one pair, moved onto another, is refused", () => {
    fc.assert(
      fc.property(turbineId, generation, turbineId, generation, (idA, gA, idB, gB) => {
        fc.pre(idA !== idB || gA !== gB);
        const moved = `gust.t.${b64(idB)}.${gB === 1 ? "" : `${gB}.`}${macOf(turbineKey(SECRET, idA, gA))}`;
        expect(verifyKey(SECRET, moved)).toBeNull();
      }),
      { numRuns: 1_000 },
    );
  });
});
