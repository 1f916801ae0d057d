// How the driver's requests reach gust: over HTTP (POST /v1/measurements) or over MQTT (a publish
// on the turbine's readings topic, simulator/mqtt-transport.ts). Both answer as HTTP does, so
// the driver accounts, retries and verifies the same way whichever carries the readings.
import { Pool } from "undici";

export interface SendRequest {
  /** The one turbine whose readings these are, or null for a mixed batch (HTTP only). */
  turbineId: string | null;
  key: string;
  /** The JSON body of POST /v1/measurements. */
  body: string;
}

export interface SendAnswer {
  /** The HTTP status (or the one the MQTT answer carries); 0 when nothing came back. */
  status: number;
  /** The answer's body, or what went wrong on the way. */
  text: string;
  retryAfter?: string;
}

export interface Transport {
  send(request: SendRequest): Promise<SendAnswer>;
  close(): Promise<void>;
}

export function httpTransport(target: string, concurrency: number): Transport {
  const pool = new Pool(target, { connections: concurrency, keepAliveTimeout: 30_000 });
  return {
    async send({ key, body }) {
      try {
        const response = await pool.request({
          method: "POST",
          path: "/v1/measurements",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body,
        });
        const retryAfter = response.headers["retry-after"];
        return {
          status: response.statusCode,
          text: await response.body.text(),
          ...(retryAfter === undefined
            ? {}
            : { retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter }),
        };
      } catch (error) {
        return { status: 0, text: (error as Error).message };
      }
    },
    close: () => pool.close(),
  };
}
