// Seeded randomness, so that a fleet or a weather run is the same every time for the same seed.

/** mulberry32: small, fast, and good enough for simulation (not for secrets). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal deviate (Box-Muller). */
export function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const hashes = new Map<string, number>();

/** A stable 32-bit hash of a string, to derive per-turbine seeds from ids (memoized). */
export function hashString(text: string): number {
  const known = hashes.get(text);
  if (known !== undefined) return known;
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  hashes.set(text, hash >>> 0);
  return hash >>> 0;
}
