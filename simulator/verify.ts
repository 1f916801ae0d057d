// Proof that nothing was lost: read every acknowledged reading back through the API and check
// that each is stored exactly once, with every value that was sent (power, wind, status).
import { Pool } from "undici";
import type { StoredReading } from "../api/readings/schema.ts";
import { type Clock, sleep, systemClock } from "../api/time/clock.ts";
import type { SimulatedReading } from "./project-reading.ts";

export interface Verification {
  turbines: number;
  /** Acknowledged readings checked. */
  checked: number;
  /** Acknowledged but not stored. */
  missing: number;
  /** Stored with another power, wind speed or status than the ones acknowledged. */
  mismatched: number;
  /** Stored more than once. */
  duplicated: number;
  ok: boolean;
  problems: string[];
}

/** Acknowledged readings by turbine and time, as the driver keeps them for verification. */
export type AcknowledgedReadings = Map<string, Map<number, SimulatedReading>>;

const PAGE = 10_000;
const PARALLEL_TURBINES = 8;
// Reading back goes through the same API that may be busy or briefly unavailable: retry, as
// the driver does, rather than failing a run whose readings are all stored.
const READ_ATTEMPTS = 6;
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

export async function verifyStored(
  target: string,
  readerKey: string,
  acknowledged: AcknowledgedReadings,
  onProgress?: (done: number, total: number) => void,
  clock: Clock = systemClock,
): Promise<Verification> {
  const pool = new Pool(target, { connections: PARALLEL_TURBINES });
  const result: Verification = {
    turbines: acknowledged.size,
    checked: 0,
    missing: 0,
    mismatched: 0,
    duplicated: 0,
    ok: true,
    problems: [],
  };
  const note = (problem: string) => {
    if (result.problems.length < 10) result.problems.push(problem);
  };
  const turbines = [...acknowledged.entries()];
  let done = 0;

  async function readPage(path: string): Promise<{
    readings: StoredReading[];
    next_from: string | null;
  }> {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let text: string;
      let retryAfter: string | string[] | undefined;
      try {
        const response = await pool.request({
          method: "GET",
          path,
          headers: { authorization: `Bearer ${readerKey}` },
        });
        status = response.statusCode;
        retryAfter = response.headers["retry-after"];
        text = await response.body.text();
      } catch (error) {
        text = (error as Error).message;
      }
      if (status === 200) return JSON.parse(text);
      if ((status !== 0 && !RETRYABLE.has(status)) || attempt >= READ_ATTEMPTS) {
        throw new Error(
          `reading back ${path} ${status === 0 ? "failed" : `answered ${status}`} after ${attempt} attempt(s): ${text.slice(0, 300)}`,
        );
      }
      const hinted = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) * 1000;
      await sleep(
        clock,
        Number.isFinite(hinted) && hinted > 0 ? hinted : Math.random() * 100 * 2 ** attempt,
      );
    }
  }

  async function verifyTurbine(
    turbineId: string,
    expected: Map<number, SimulatedReading>,
  ): Promise<void> {
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const time of expected.keys()) {
      from = Math.min(from, time);
      to = Math.max(to, time + 1);
    }
    const stored = new Map<number, StoredReading[]>();
    let next: string | null = new Date(from).toISOString();
    while (next) {
      const query = `from=${encodeURIComponent(next)}&to=${to}&limit=${PAGE}`;
      const page = await readPage(
        `/v1/turbines/${encodeURIComponent(turbineId)}/measurements?${query}`,
      );
      for (const reading of page.readings) {
        const time = Date.parse(reading.time);
        const list = stored.get(time) ?? [];
        list.push(reading);
        stored.set(time, list);
      }
      next = page.next_from;
    }
    for (const [time, sent] of expected) {
      result.checked++;
      const found = stored.get(time);
      const at = `${turbineId} ${new Date(time).toISOString()}`;
      if (!found) {
        result.missing++;
        note(`${at}: acknowledged but not stored`);
        continue;
      }
      if (found.length > 1) {
        result.duplicated++;
        note(`${at}: stored ${found.length} times`);
        continue;
      }
      const difference = differenceFrom(sent, found[0] as StoredReading);
      if (difference) {
        result.mismatched++;
        note(`${at}: ${difference}`);
      }
    }
  }

  const worker = async () => {
    for (let entry = turbines.shift(); entry; entry = turbines.shift()) {
      await verifyTurbine(entry[0], entry[1]);
      onProgress?.(++done, acknowledged.size);
    }
  };
  try {
    await Promise.all(Array.from({ length: PARALLEL_TURBINES }, worker));
  } finally {
    await pool.close();
  }
  result.ok = result.missing === 0 && result.mismatched === 0 && result.duplicated === 0;
  return result;
}

/** The first field in which the stored reading differs from the one sent, in words; or null. */
function differenceFrom(sent: SimulatedReading, stored: StoredReading): string | null {
  if (stored.power_kw !== sent.power_kw)
    return `stored ${stored.power_kw} kW, sent ${sent.power_kw} kW`;
  if (stored.wind_speed_ms !== sent.wind_speed_ms)
    return `stored wind ${stored.wind_speed_ms} m/s, sent ${sent.wind_speed_ms} m/s`;
  if (stored.status !== sent.status) return `stored status ${stored.status}, sent ${sent.status}`;
  return null;
}
