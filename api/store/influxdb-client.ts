// The HTTP side of the InfluxDB store: line protocol to the v1 `/write`, InfluxQL to the v1
// `/query`, the one endpoint pair InfluxDB 1.x, 2.x (v1 compatibility API) and 3.x all serve,
// so one client runs on Amazon Timestream for InfluxDB, InfluxDB 3 and Debian's influxd 1.6.

import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { InfluxSeries } from "../queries/influxdb-series.ts";
import { StoreUnavailableError } from "./port.ts";

// The pure helpers live with the query layer (api/queries/influxdb-series.ts), which must not
// load the HTTP client; the client's callers find them here too.
export {
  type InfluxSeries,
  influxIdentifier,
  influxString,
  seriesRows,
} from "../queries/influxdb-series.ts";

const gzipAsync = promisify(gzip);

export interface InfluxDbConnection {
  /** Base URL, e.g. https://id.us-east-1.timestream-influxdb.amazonaws.com:8086 */
  url: string;
  database: string;
  /** Sent as `Authorization: Token <token>` (InfluxDB 2.x and 3.x; 1.x with auth off ignores it). */
  token?: string;
  /** Per HTTP request, connect to last byte. */
  timeoutMs?: number;
  /**
   * Reads the token again (from its secret) when InfluxDB answers 401 or 403: a token rotated or
   * filled in after the container started is used without a restart. At most once a minute.
   */
  refreshToken?: () => Promise<string | undefined>;
  /** The clock the refresh's once-a-minute limit is judged on. */
  now?: () => number;
}

/** A refused token is read again at most this often. */
const TOKEN_REFRESH_MS = 60_000;

/** An HTTP answer or network failure; `retryable` tells withRetries whether to try again. */
export class InfluxDbError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = "InfluxDbError";
  }
}

interface QueryAnswer {
  results?: { statement_id?: number; series?: Partial<InfluxSeries>[]; error?: string }[];
  error?: string;
}

/** The series of each statement of a /query answer, in statement order; an error throws. */
export function parseQueryAnswer(answer: QueryAnswer): InfluxSeries[][] {
  if (answer.error) throw new InfluxDbError(`InfluxDB query failed: ${answer.error}`, false);
  return (answer.results ?? []).map((result) => {
    if (result.error) throw new InfluxDbError(`InfluxDB query failed: ${result.error}`, false);
    return (result.series ?? []).map((series) => ({
      name: series.name ?? "",
      tags: series.tags ?? {},
      columns: series.columns ?? [],
      values: series.values ?? [],
    }));
  });
}

export class InfluxDbClient {
  private headers: Record<string, string>;
  private readonly timeoutMs: number;
  private refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(readonly connection: InfluxDbConnection) {
    this.headers = connection.token ? { authorization: `Token ${connection.token}` } : {};
    this.timeoutMs = connection.timeoutMs ?? 10_000;
  }

  /** Reads the token again after a refusal; true when it changed (the request is then resent). */
  private async tokenChanged(): Promise<boolean> {
    const { refreshToken } = this.connection;
    const now = (this.connection.now ?? Date.now)();
    if (!refreshToken || now - this.refreshedAt < TOKEN_REFRESH_MS) return false;
    this.refreshedAt = now;
    const token = await refreshToken().catch((error: Error) => {
      console.warn(`gust: could not read the InfluxDB token again: ${error.message}`);
      return undefined;
    });
    if (!token || this.headers.authorization === `Token ${token}`) return false;
    this.headers = { authorization: `Token ${token}` };
    return true;
  }

  /** Writes lines of line protocol (times in ms), gzipped, in one request. */
  async write(lines: readonly string[], signal?: AbortSignal): Promise<void> {
    const body = await gzipAsync(Buffer.from(lines.join("\n")));
    const params = new URLSearchParams({ db: this.connection.database, precision: "ms" });
    await this.send(
      "write",
      `/write?${params}`,
      body,
      {
        "content-type": "text/plain; charset=utf-8",
        "content-encoding": "gzip",
      },
      signal,
    );
  }

  /** Runs InfluxQL (statements separated by `;`) and returns each statement's series. */
  async query(influxql: string, signal?: AbortSignal): Promise<InfluxSeries[][]> {
    const body = new URLSearchParams({ db: this.connection.database, epoch: "ms", q: influxql });
    const text = await this.send(
      "query",
      "/query",
      body.toString(),
      {
        "content-type": "application/x-www-form-urlencoded",
      },
      signal,
    );
    try {
      return parseQueryAnswer(JSON.parse(text) as QueryAnswer);
    } catch (error) {
      if (error instanceof InfluxDbError && /database not found/i.test(error.message))
        throw new StoreUnavailableError(`${error.message} (create it, see docs/aws.md)`, 60);
      throw error;
    }
  }

  private async send(
    what: string,
    path: string,
    body: string | Buffer,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<string> {
    // Node's own fetch (keep-alive by default), not the undici package: no HTTP client of its
    // own in the Lambda bundle, and per request the cost is small beside a 5,000-point body.
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const answer = await fetch(new URL(path, this.connection.url), {
        method: "POST",
        body,
        headers: { ...this.headers, ...headers },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = answer.status;
      text = await answer.text();
    } catch (error) {
      // No HTTP answer: refused, reset, timed out, aborted at the deadline. Worth another attempt.
      const e = error as { cause?: { code?: string }; message?: string };
      throw new InfluxDbError(
        `InfluxDB ${what} at ${this.connection.url}: ${e.cause?.code ?? ""} ${e.message ?? ""}`.trim(),
        true,
      );
    }
    if (status >= 200 && status < 300) return text;
    const message = `InfluxDB ${what} answered ${status}: ${errorText(text)}`;
    if (status === 401 || status === 403) {
      // The token may have been rotated (or filled in) since it was read: read it again once.
      if (await this.tokenChanged()) return this.send(what, path, body, headers, signal);
      // A wrong or missing token is the operator's to fix; clients should come back later.
      throw new StoreUnavailableError(
        `${message} (check the token: INFLUXDB_TOKEN or the secret INFLUXDB_TOKEN_SECRET_ARN)`,
        60,
      );
    }
    if (status === 404 && /database not found/i.test(text)) {
      throw new StoreUnavailableError(`${message} (create it, see docs/aws.md)`, 60);
    }
    throw new InfluxDbError(message, status >= 500 || status === 429, status);
  }

  async close(): Promise<void> {
    // Nothing to release: fetch's idle connections close themselves.
  }
}

function errorText(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: string; message?: string };
    return parsed.error ?? parsed.message ?? text;
  } catch {
    return text.slice(0, 300);
  }
}
