// A snapshot built at most once per `cacheMs` and shared by the requests that arrive meanwhile
// (Lambda's snapshots: from the store, or from the last-seen records). A page polling every few
// seconds then costs one build per container per `cacheMs`, and sees the fleet at most that late.

import { type Clock, systemClock } from "../time/clock.ts";
import type { LiveSnapshot } from "./snapshot.ts";

export const DEFAULT_SNAPSHOT_CACHE_MS = 10_000;

export function cachedSnapshots(
  build: (now: number) => Promise<LiveSnapshot>,
  options: { cacheMs?: number; now?: Clock["now"] } = {},
): () => Promise<LiveSnapshot> {
  const clock = options.now ?? systemClock.now;
  const cacheMs = options.cacheMs ?? DEFAULT_SNAPSHOT_CACHE_MS;
  let cached: { at: number; snapshot: Promise<LiveSnapshot> } | null = null;
  return () => {
    const now = clock();
    if (cached && now - cached.at < cacheMs) return cached.snapshot;
    const snapshot = build(now);
    cached = { at: now, snapshot };
    // A failed build is not kept: the next request tries again.
    snapshot.catch(() => {
      if (cached?.snapshot === snapshot) cached = null;
    });
    return snapshot;
  };
}
