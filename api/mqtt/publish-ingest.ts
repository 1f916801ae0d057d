// One MQTT publish on a readings topic, through the write path of POST /v1/measurements
// (api/routes/ingest.ts, `ingest`): the same body checks, identity, duplicate, conflict and
// version rules, by the same code. Only what MQTT carries differently is said here: the payload
// is the body, the topic says whose readings they are and whether they are gzip, and the
// publisher's credentials were checked by the broker for that topic.
import type { Principal } from "../auth/keys.ts";
import { isAnswer, type Problem } from "../problem.ts";
import { checkDeclaredLength } from "../readings/request-body.ts";
import type { IngestResult } from "../readings/schema.ts";
import type { AppDeps } from "../routes/deps.ts";
import { type IngestRequest, ingest } from "../routes/ingest.ts";
import type { ReadingsTopic } from "./topics.ts";

/** What became of a publish: the answer HTTP would give, and whether to acknowledge it. */
export interface PublishAnswer {
  /** The HTTP status the same body would get. */
  status: number;
  /** The HTTP answer's body: the 200's counts, or the problem document. */
  body: IngestResult | Problem;
  /**
   * False when nothing was decided (the store is unavailable, or gust failed): the publish is
   * not acknowledged, so that the publisher, or the broker holding it, sends it again.
   */
  acknowledge: boolean;
}

export interface ReadingsPublish {
  topic: ReadingsTopic;
  payload: Buffer;
  /** The MQTT 5 content type, when the publisher set one. */
  contentType?: string;
  /** The payload's size as sent, when the broker dropped it for its size (api/mqtt/publish-bound.ts). */
  payloadBytes?: number;
}

/**
 * Stores the readings of a publish. `principal` is who the broker let publish on the topic
 * (api/mqtt/embedded-broker.ts checks gust's keys; an external broker its own ACL); its readings
 * must all be of the topic's turbine, checked by the write path as a turbine key's are.
 */
export async function ingestPublish(
  publish: ReadingsPublish,
  deps: AppDeps,
  env: unknown = {},
): Promise<PublishAnswer> {
  const principal: Principal = {
    role: "turbine",
    turbineId: publish.topic.turbineId,
    keyGeneration: 1,
  };
  let answer: Awaited<ReturnType<typeof ingest>>;
  try {
    answer = await ingest(publishIngestRequest(publish, principal, env), deps);
  } catch (error) {
    console.error("gust: an MQTT publish failed in the write path:", error);
    return {
      status: 500,
      body: {
        type: "urn:gust:problem:internal",
        title: "Internal error",
        status: 500,
        detail: "The readings were not stored; the publish is not acknowledged, send it again.",
      },
      acknowledge: false,
    };
  }
  if (!isAnswer(answer)) return { status: 200, body: answer, acknowledge: true };
  const body = (await answer.json()) as Problem;
  // 503: the store cannot take writes now; everything else is the publisher's to fix, and
  // sending the same payload again would get the same answer.
  return { status: answer.status, body, acknowledge: answer.status !== 503 };
}

/** The write path's view of a publish. */
function publishIngestRequest(
  publish: ReadingsPublish,
  principal: Principal,
  env: unknown,
): IngestRequest {
  return {
    principal,
    env,
    header: (name) => {
      if (name === "content-type") return publish.contentType ?? "application/json";
      if (name === "content-encoding") return publish.topic.gzip ? "gzip" : undefined;
      return undefined;
    },
    readBody: async () => {
      // The same 1 MiB limit as a request body, with the same answer.
      checkDeclaredLength(String(publish.payloadBytes ?? publish.payload.byteLength));
      return publish.payload;
    },
    // A QoS 1 publish is stored even if its publisher has gone: it will send it again, and the
    // write path stores it once.
    gone: () => false,
  };
}
