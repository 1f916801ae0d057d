// Proof that nothing was lost: read every acknowledged reading back through the API and check
// that each is stored exactly once, with the value that was sent.
import { Pool } from "undici";

export interface Verification {
  turbines: number;
  /** Acknowledged readings checked. */
  checked: number;
  /** Acknowledged but not stored. */
  missing: number;
  /** Stored with another power value than the one acknowledged. */
  mismatched: number;
  /** Stored more than once. */
  duplicated: number;
  ok: boolean;
  problems: string[];
}

const PAGE = 10_000;
const PARALLEL_TURBINES = 8;

export async function verifyStored(
  target: string,
  readerKey: string,
  acknowledged: Map<string, Map<number, number>>,
  onProgress?: (done: number, total: number) => void,
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

  async function verifyTurbine(turbineId: string, expected: Map<number, number>): Promise<void> {
    const times = [...expected.keys()];
    const from = Math.min(...times);
    const to = Math.max(...times) + 1;
    const stored = new Map<number, number[]>();
    let next: string | null = new Date(from).toISOString();
    while (next) {
      const query = `from=${encodeURIComponent(next)}&to=${to}&limit=${PAGE}`;
      const response = await pool.request({
        method: "GET",
        path: `/v1/turbines/${encodeURIComponent(turbineId)}/measurements?${query}`,
        headers: { authorization: `Bearer ${readerKey}` },
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) {
        throw new Error(
          `reading back ${turbineId} answered ${response.statusCode}: ${text.slice(0, 300)}`,
        );
      }
      const page = JSON.parse(text) as {
        readings: { time: string; power_kw: number }[];
        next_from: string | null;
      };
      for (const reading of page.readings) {
        const time = Date.parse(reading.time);
        const list = stored.get(time) ?? [];
        list.push(reading.power_kw);
        stored.set(time, list);
      }
      next = page.next_from;
    }
    for (const [time, power] of expected) {
      result.checked++;
      const found = stored.get(time);
      if (!found) {
        result.missing++;
        note(`${turbineId} ${new Date(time).toISOString()}: acknowledged but not stored`);
      } else if (found.length > 1) {
        result.duplicated++;
        note(`${turbineId} ${new Date(time).toISOString()}: stored ${found.length} times`);
      } else if (found[0] !== power) {
        result.mismatched++;
        note(
          `${turbineId} ${new Date(time).toISOString()}: stored ${found[0]} kW, sent ${power} kW`,
        );
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
