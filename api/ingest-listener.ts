// The Node server's direct route for the turbines' write path: POST /v1/measurements is answered
// by the same handler as in the Hono app (api/routes/ingest.ts, `ingest`), called straight
// from node:http, and every other request goes to Hono as before.
//
// Why: for a reading a request, Hono's Node adapter (a web Request with its Headers, a web
// Response, routing, the context) cost about a third of the server's time per request in a CPU
// profile, more than validating and storing the reading. The answer is the same either way:
// test/api/ingest-listener.test.ts sends the same requests both ways and compares.
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerOptions,
  type ServerResponse,
} from "node:http";
import { errorResponse } from "./app.ts";
import { checkDeclaredLength, readRequestBody } from "./readings/request-body.ts";
import type { AppDeps } from "./routes/deps.ts";
import { type IngestRequest, ingest, MEASUREMENTS_PATH } from "./routes/ingest.ts";

/**
 * node:http's createServer for @hono/node-server's `serve` (its `createServer` option): the
 * server it makes answers POST /v1/measurements directly and hands the rest to Hono. The adapter
 * always calls it with options and its listener, the one form this implements.
 */
export function createServerWithDirectIngest(deps: AppDeps): typeof createServer {
  return ((options: ServerOptions, listener: RequestListener) =>
    createServer(options, withDirectIngest(deps, listener))) as typeof createServer;
}

/** `fallback` (Hono's listener) with POST /v1/measurements answered directly. */
export function withDirectIngest(deps: AppDeps, fallback: RequestListener): RequestListener {
  return (incoming, outgoing) => {
    if (incoming.method === "POST" && incoming.url === MEASUREMENTS_PATH && plainHost(incoming)) {
      void answerIngest(incoming, outgoing, deps);
      return;
    }
    fallback(incoming, outgoing);
  };
}

// The Host values Hono's Node adapter takes without checking them further (its own pattern);
// anything else goes to Hono, which answers a bad one 400 as it always has.
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;

function plainHost(incoming: IncomingMessage): boolean {
  const host = incoming.headers.host;
  return host === undefined || PLAIN_HOST.test(host);
}

async function answerIngest(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  deps: AppDeps,
): Promise<void> {
  let answer: Awaited<ReturnType<typeof ingest>>;
  try {
    answer = await ingest(nodeIngestRequest(incoming, outgoing), deps);
  } catch (error) {
    answer = errorResponse(error instanceof Error ? error : new Error(String(error)));
  }
  if (outgoing.destroyed) return;
  if (!(answer instanceof Response)) {
    // The 200, as Hono's c.json writes it.
    const json = JSON.stringify(answer);
    outgoing.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(json),
    });
    outgoing.end(json);
    return;
  }
  // Problems (and the 499 to a gone client) are rare: the web Response is written as it is.
  const body = answer.body === null ? null : Buffer.from(await answer.arrayBuffer());
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (body !== null) headers["content-length"] = String(body.byteLength);
  outgoing.writeHead(answer.status, headers);
  outgoing.end(body ?? undefined);
}

/** The write path's view of a node:http request. */
function nodeIngestRequest(incoming: IncomingMessage, outgoing: ServerResponse): IngestRequest {
  return {
    header: (name) => rawHeader(incoming, name),
    readBody: async () => {
      // Refused on the declared length before a byte is read (Node's parser holds the body to
      // it); a chunked body is counted as it arrives.
      checkDeclaredLength(rawHeader(incoming, "content-length"));
      return readRequestBody(incoming);
    },
    gone: () => outgoing.destroyed,
    env: { incoming, outgoing },
  };
}

/**
 * A header as web Headers.get reads it (what the Hono route sees): every field of that name,
 * joined by ", ". Node's `incoming.headers` keeps only the first of some repeated fields
 * (Authorization, Content-Type), which would answer a request differently.
 */
function rawHeader(incoming: IncomingMessage, name: string): string | undefined {
  const raw = incoming.rawHeaders;
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const field = raw[i] as string;
    if (field.length !== name.length || field.toLowerCase() !== name) continue;
    const next = raw[i + 1] as string;
    value = value === undefined ? next : `${value}, ${next}`;
  }
  return value;
}
