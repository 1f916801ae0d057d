// The Lambda entry point. One function serves every kind of event it is sent, and a container
// loads only what the kind of event in hand needs: each kind's code is a dynamic import, so the
// asset carries it in chunks of its own (infra/lambda-bundle.ts), loaded on the container's first
// event of that kind. An HTTP API request loads the API's handler (api/lambda-handler.ts); a kind
// added here gets its own module and never loads the API's chunks. (The alarm schedule is a
// function of its own, api/lambda-schedule.ts, so that its IAM and timeout are its own too.) (The alarms' schedule is a function of its own,
// api/lambda-schedule.ts: its own IAM, timeout and asset; see infra/alarm-schedule.ts.)
//
// Each kind's handler is built once per container. A build that fails (a missing secret or
// setting) fails that event loudly, with the reason in the function's log, and is tried again
// on the next event rather than leaving the container broken for good.
import type { Context } from "aws-lambda";
import { log } from "./log.ts";
import { systemClock } from "./time/clock.ts";
import { DependencyUnavailableError, withDeadline } from "./time/deadline.ts";

/** Time kept back from the Lambda timeout to answer. */
const ANSWER_MARGIN_MS = 1000;

type Handler = (event: unknown, context: Context) => Promise<unknown>;

interface EventKind {
  name: string;
  matches: (event: Record<string, unknown>) => boolean;
  build: () => Promise<Handler>;
}

const EVENT_KINDS: EventKind[] = [
  {
    name: "HTTP API request (payload format 2.0)",
    matches: (event) =>
      event.version === "2.0" &&
      typeof event.requestContext === "object" &&
      event.requestContext !== null &&
      "http" in event.requestContext,
    build: async () => (await import("./lambda-handler.ts")).createLambdaHandler(process.env),
  },
];

const built = new Map<EventKind, Promise<Handler>>();

function handlerFor(kind: EventKind): Promise<Handler> {
  let handler = built.get(kind);
  if (!handler) {
    handler = kind.build();
    built.set(kind, handler);
    handler.catch(() => built.delete(kind));
  }
  return handler;
}

export async function handler(event: unknown, context: Context): Promise<unknown> {
  // Every log line of this invocation names it (function_request_id, cold_start).
  log.addContext(context);
  const fields = (typeof event === "object" && event !== null ? event : {}) as Record<
    string,
    unknown
  >;
  const kind = EVENT_KINDS.find((candidate) => candidate.matches(fields));
  if (!kind) {
    throw new Error(
      `gust's function answers ${EVENT_KINDS.map((k) => k.name).join(", ")}; this event is none of them (keys: ${Object.keys(fields).join(", ")}). Check what invokes the function.`,
    );
  }
  // The build reads secrets (Secrets Manager): bounded by this invocation's deadline.
  let built: Handler;
  try {
    built = await withDeadline(
      systemClock.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS,
      () => handlerFor(kind),
    );
  } catch (error) {
    // A dependency that did not answer in time: the request is answered 503 with Retry-After
    // (API Gateway's own answer to a failed invocation would be a bare 500), and the next
    // event builds again.
    if (error instanceof DependencyUnavailableError && kind === EVENT_KINDS[0]) {
      log.error("could not start", error);
      return unavailableAnswer(error);
    }
    throw error;
  }
  return built(event, context);
}

function unavailableAnswer(error: DependencyUnavailableError) {
  return {
    statusCode: 503,
    headers: {
      "content-type": "application/problem+json",
      "retry-after": String(error.retryAfterSeconds),
    },
    body: JSON.stringify({
      type: "urn:gust:problem:unavailable",
      title: "Unavailable",
      status: 503,
      detail:
        "A service the API depends on did not answer in time; nothing was stored. Send the same request again after Retry-After seconds.",
    }),
  };
}

// Provisioned concurrency runs the init phase before any request arrives: build the app then,
// so that no request waits for it. On demand, the first event decides what is loaded.
if (process.env.AWS_LAMBDA_INITIALIZATION_TYPE === "provisioned-concurrency") {
  await handlerFor(EVENT_KINDS[0] as EventKind);
}
