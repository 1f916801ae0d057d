// The Lambda's direct route for the turbines' write path: an HTTP API event for
// POST /v1/measurements is answered by the same handler as in the Hono app
// (api/routes/ingest.ts, `ingest`), called straight from the event, as the Node server
// does from node:http (api/ingest-listener.ts).
//
// Why: a container's first event is most often a turbine's readings. Through Hono it would also
// build the whole app (every route and its zod schemas) and a web Request and Response, whose
// classes load Node's undici on first use: together about a fifth of a cold start in a CPU
// profile. The answer is the same either way: test/lambda/direct-ingest.test.ts sends the same
// events both ways and compares the results field by field.
import type { Context } from "aws-lambda";
import { isAnswer } from "./problem.ts";
import { checkDeclaredLength } from "./readings/request-body.ts";
import type { AppDeps } from "./routes/deps.ts";
import { type IngestRequest, ingest, MEASUREMENTS_PATH } from "./routes/ingest.ts";

/** The parts of an HTTP API (payload format 2.0) event that the write path reads. */
interface HttpEvent {
  rawPath?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } };
}

/** What Lambda hands API Gateway back, as Hono's adapter makes it. */
export interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

// Header names and values that Hono's adapter takes as they are: anything else (a value with a
// line break, a name that is not a token) goes through Hono, which answers it as it always has.
const PLAIN_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PLAIN_VALUE = /^[^\0\r\n]*$/;

/** True for a turbine's POST /v1/measurements that the direct route answers as Hono would. */
export function isDirectIngest(event: unknown): event is HttpEvent {
  const e = event as HttpEvent;
  if (e?.requestContext?.http?.method !== "POST" || e.rawPath !== MEASUREMENTS_PATH) return false;
  return Object.entries(e.headers ?? {}).every(
    ([name, value]) => PLAIN_NAME.test(name) && (value === undefined || PLAIN_VALUE.test(value)),
  );
}

export async function answerIngest(
  event: HttpEvent,
  context: Context,
  deps: AppDeps,
  /** The app's answer to an error a route threw (api/app.ts errorResponse), loaded when needed. */
  errorResponse: () => Promise<(error: Error) => Response>,
): Promise<LambdaResult> {
  let answer: Awaited<ReturnType<typeof ingest>>;
  try {
    answer = await ingest(lambdaIngestRequest(event, context), deps);
  } catch (error) {
    answer = (await errorResponse())(error instanceof Error ? error : new Error(String(error)));
  }
  if (!isAnswer(answer)) {
    // The 200, as Hono's c.json and its adapter write it.
    return {
      body: JSON.stringify(answer),
      statusCode: 200,
      isBase64Encoded: false,
      headers: { "content-type": "application/json" },
    };
  }
  // Problems are rare: the web Response is turned into the result as Hono's adapter does for
  // text (every problem is JSON; nothing here sets cookies or a binary type).
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    body: await answer.text(),
    statusCode: answer.status,
    isBase64Encoded: false,
    headers,
  };
}

function lambdaIngestRequest(event: HttpEvent, context: Context): IngestRequest {
  const header = (name: string) => headerOf(event, name);
  return {
    header,
    readBody: async () => {
      // Hono's adapter sets content-length to the body API Gateway delivered; without a body,
      // the client's own header stands, and readBody checks it the same way.
      const body = event.body
        ? Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8")
        : undefined;
      checkDeclaredLength(body ? String(body.byteLength) : header("content-length"));
      return body ?? Buffer.alloc(0);
    },
    // Lambda holds the client's connection: an invocation never sees it go.
    gone: () => false,
    // Hono's env on Lambda, where the caller's address is found (api/auth/failed-keys.ts).
    env: { event, requestContext: event.requestContext, lambdaContext: context },
  };
}

/**
 * A header as Hono's Request has it: the last field of that name in any case (the adapter sets
 * each in turn), with a value of non-ASCII characters percent-encoded as the adapter does.
 */
function headerOf(event: HttpEvent, name: string): string | undefined {
  let value: string | undefined;
  for (const [field, fieldValue] of Object.entries(event.headers ?? {})) {
    if (fieldValue && field.length === name.length && field.toLowerCase() === name) {
      value = fieldValue;
    }
  }
  if (value === undefined) return undefined;
  if (/[\u0080-\uffff]/.test(value)) return encodeURIComponent(value);
  // Headers trims a value's surrounding whitespace.
  return value.replace(/^[\t ]+|[\t ]+$/g, "");
}
