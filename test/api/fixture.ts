// A real local server on a loopback port with a real DuckDB file in a temp dir, and a client.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { roleKey, turbineKey } from "../../api/auth/keys.ts";
import { type LocalServer, type LocalServerOptions, startLocalServer } from "../../api/server.ts";

export const TEST_SECRET = "test-secret-0123456789abcdef";

export interface Answer {
  status: number;
  contentType: string;
  headers: Headers;
  body: any;
}

export interface TestServer extends LocalServer {
  dataDir: string;
  operatorKey: string;
  readerKey: string;
  turbineKey(turbineId: string): string;
  post(body: unknown, options?: PostOptions): Promise<Answer>;
  get(path: string, key?: string): Promise<Answer>;
  /** Every stored reading of one turbine, oldest first. */
  stored(turbineId: string): Promise<any[]>;
  stop(): Promise<void>;
}

export interface PostOptions {
  key?: string | null;
  contentType?: string | null;
  gzip?: boolean;
  headers?: Record<string, string>;
  /** Send these bytes as they are instead of JSON-encoding `body`. */
  raw?: Uint8Array | string;
}

export async function startTestServer(
  options: Partial<LocalServerOptions> = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "gust-test-"));
  const server = await startLocalServer({ keySecret: TEST_SECRET, ...options, dataDir });
  const operatorKey = roleKey(TEST_SECRET, "operator");
  const readerKey = roleKey(TEST_SECRET, "reader");

  async function answer(response: Response): Promise<Answer> {
    const contentType = response.headers.get("content-type") ?? "";
    const text = await response.text();
    return {
      status: response.status,
      contentType,
      headers: response.headers,
      body: contentType.includes("json") ? JSON.parse(text) : text,
    };
  }

  const self: TestServer = {
    ...server,
    dataDir,
    operatorKey,
    readerKey,
    turbineKey: (turbineId) => turbineKey(TEST_SECRET, turbineId),
    async post(body, post = {}) {
      const headers: Record<string, string> = { ...post.headers };
      const key = post.key === undefined ? operatorKey : post.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      const contentType = post.contentType === undefined ? "application/json" : post.contentType;
      if (contentType !== null) headers["content-type"] = contentType;
      let payload: Uint8Array | string = post.raw ?? JSON.stringify(body);
      if (post.gzip) {
        payload = gzipSync(payload);
        headers["content-encoding"] = "gzip";
      }
      return answer(
        await fetch(`${server.url}/v1/measurements`, { method: "POST", headers, body: payload }),
      );
    },
    async get(path, key = readerKey) {
      return answer(
        await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } }),
      );
    },
    async stored(turbineId) {
      const rows = await server.store.select(
        `SELECT * EXCLUDE (time, tags), epoch_ms(time) AS time, CAST(tags AS VARCHAR) AS tags
           FROM ${server.store.tableRef} WHERE turbine_id = '${turbineId}' ORDER BY time`,
      );
      // Every column beyond the reading's own is a measure; NULL where the reading had none.
      return rows.map((row) => {
        const { turbine_id, time, power_kw, wind_speed_ms, status, status_code, version, tags } =
          row;
        const measures: Record<string, number> = {};
        for (const [name, value] of Object.entries(row)) {
          if (!Object.hasOwn(READING_COLUMNS, name) && value !== null)
            measures[name] = Number(value);
        }
        return {
          turbine_id,
          time,
          power_kw,
          wind_speed_ms,
          status,
          status_code,
          version,
          measures,
          tags: JSON.parse(String(tags)),
        };
      });
    },
    async stop() {
      await server.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return self;
}

const READING_COLUMNS = {
  turbine_id: 1,
  time: 1,
  power_kw: 1,
  wind_speed_ms: 1,
  status: 1,
  status_code: 1,
  version: 1,
  tags: 1,
};

export interface TestReading {
  turbine_id: string;
  time: string | number;
  power_kw: number;
  [field: string]: unknown;
}

/** A valid reading of `turbineId`, `minutesAgo` minutes before `now`; `extra` overrides fields. */
export function reading(
  turbineId: string,
  minutesAgo: number,
  extra: Record<string, unknown> = {},
  now = Date.now(),
): TestReading {
  return {
    turbine_id: turbineId,
    time: new Date(now - minutesAgo * 60_000).toISOString(),
    power_kw: 1500 + minutesAgo,
    wind_speed_ms: 8.5,
    status: "producing",
    ...extra,
  };
}
