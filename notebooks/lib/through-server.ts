// `npm run analyze` while `npm run serve` holds the DuckDB file (DuckDB lets one process open
// it): the readings and the registry of the period are read through that server's API
// (GET /v1/readings/export, GET /v1/turbines, with the reader key) into a DuckDB file of a
// private temp directory, and the same analysis runs on that copy. Progress goes to stderr.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { roleKey } from "../../api/auth/keys.ts";
import type { LocalConfig } from "../../api/config.ts";
import type { ReadingStatus } from "../../api/readings/limits.ts";
import { openDuckDbRegistry } from "../../api/registry/duckdb-registry.ts";
import type { RegisteredTurbine, TurbineRegistry } from "../../api/registry/port.ts";
import { DUCKDB_FILE_NAME, openDuckDbStore } from "../../api/store/duckdb-store.ts";
import type { Reading, ReadingStore } from "../../api/store/port.ts";

const DAY = 86_400_000;
/** One export request's period: well under the 1,000,000 readings one export holds. */
const CHUNK_MS = 6 * 3_600_000;
const YEARS = 100 * 365 * DAY;

export interface ServerCopy {
  store: ReadingStore;
  registry: TurbineRegistry;
  close(): Promise<void>;
}

/** The URL a local server of this configuration answers on. */
export function localServerUrl(config: LocalConfig): string {
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

export async function copyThroughServer(options: {
  url: string;
  secret: string;
  from?: number;
  to?: number;
  err: Writable;
}): Promise<ServerCopy> {
  const { url, err } = options;
  const headers = { authorization: `Bearer ${roleKey(options.secret, "reader")}` };
  const get = async (path: string): Promise<Response> => {
    const response = await fetch(`${url}${path}`, { headers });
    if (!response.ok) {
      throw new Error(
        `the gust server at ${url} answered ${path} with ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    }
    return response;
  };
  err.write(`reading through the gust server at ${url}, which holds the DuckDB file\n`);
  const turbines = await listTurbines(get);
  const lastSeen = Math.max(0, ...turbines.map((t) => (t.last_seen ? Date.parse(t.last_seen) : 0)));
  if (lastSeen === 0 && options.to === undefined) {
    throw new Error(
      "The store holds no readings yet: send some (npm run simulate) and analyse again.",
    );
  }
  const to = options.to ?? lastSeen + 1;
  const from = options.from ?? to - DAY;
  err.write(`  ${turbines.length} turbines; readings from ${iso(from)} to ${iso(to)}\n`);

  const dir = mkdtempSync(join(tmpdir(), "gust-analyze-"));
  const store = await openDuckDbStore({
    path: join(dir, DUCKDB_FILE_NAME),
    writeWindow: { maxAgeMs: YEARS, maxFutureMs: YEARS },
  });
  const close = async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const registry = await openDuckDbRegistry(await store.connect());
    const registered = turbines.filter((t) => t.registered);
    if (registered.length > 0) {
      await registry.putMany(
        registered.map(({ turbine_id, ...t }) => ({
          turbine_id,
          description: {
            name: t.name,
            project: t.project,
            model: t.model,
            rated_kw: t.rated_kw,
            hub_height_m: t.hub_height_m,
            rotor_diameter_m: t.rotor_diameter_m,
            latitude: t.latitude,
            longitude: t.longitude,
            commissioned: t.commissioned,
            tags: t.tags,
          },
        })),
      );
    }
    let copied = 0;
    for (let start = from; start < to; start += CHUNK_MS) {
      const end = Math.min(to, start + CHUNK_MS);
      const csv = await (
        await get(`/v1/readings/export?from=${start}&to=${end}&format=csv`)
      ).text();
      const readings = readingsFromExportCsv(csv);
      for (let i = 0; i < readings.length; i += 10_000) {
        await store.write(readings.slice(i, i + 10_000));
      }
      copied += readings.length;
      err.write(
        `  ${copied.toLocaleString("en")} readings read, up to ${iso(end)} (${Math.round((100 * (end - from)) / (to - from))}%)\n`,
      );
    }
    return {
      store,
      registry,
      close: async () => {
        await registry.close();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

type ListedTurbine = RegisteredTurbine & { registered: boolean; last_seen: string | null };

async function listTurbines(get: (path: string) => Promise<Response>): Promise<ListedTurbine[]> {
  const turbines: ListedTurbine[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "1000", ...(cursor ? { cursor } : {}) });
    const page = (await (await get(`/v1/turbines?${query}`)).json()) as {
      turbines: ListedTurbine[];
      next_cursor: string | null;
    };
    turbines.push(...page.turbines);
    cursor = page.next_cursor;
  } while (cursor);
  return turbines;
}

/** GET /v1/readings/export's CSV as readings (turbine ids and statuses hold no commas). */
export function readingsFromExportCsv(csv: string): Reading[] {
  const lines = csv.split("\n").filter((line) => line !== "");
  const header = (lines[0] ?? "").split(",");
  const measures = header.slice(7);
  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    const number = (i: number) => (cells[i] === "" ? null : Number(cells[i]));
    const reading: Reading = {
      turbine_id: cells[0] as string,
      time: Date.parse(cells[1] as string),
      power_kw: Number(cells[2]),
      wind_speed_ms: Number(cells[3]),
      status: cells[4] === "" ? null : (cells[4] as ReadingStatus),
      status_code: number(5),
      version: Number(cells[6]),
      measures: {},
      tags: {},
    };
    measures.forEach((name, i) => {
      const value = number(7 + i);
      if (value !== null) reading.measures[name] = value;
    });
    return reading;
  });
}

const iso = (ms: number) => new Date(ms).toISOString();
