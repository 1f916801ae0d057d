// Where the answer to a publish goes, and what it holds: the body HTTP would answer (the 200's
// counts, or the problem document), as one JSON message. An MQTT 5 publisher that sets a
// response topic gets it there, with its correlation data; otherwise it goes to the turbine's
// fixed answers topic, which the turbine (or the operator) subscribes to.
import { PROBLEM_CONTENT_TYPE } from "../problem.ts";
import type { PublishAnswer } from "./publish-ingest.ts";
import { answersTopic } from "./topics.ts";

/** What the publisher asked of the answer (MQTT 5 properties of its publish). */
export interface AnswerRequest {
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface AnswerMessage {
  topic: string;
  payload: Buffer;
  /** MQTT 5 properties; an MQTT 3.1.1 subscriber receives the payload alone. */
  properties: {
    contentType: string;
    correlationData?: Buffer;
    userProperties: { status: string };
  };
}

export function answerMessage(
  answer: PublishAnswer,
  turbineId: string,
  request: AnswerRequest = {},
): AnswerMessage {
  return {
    topic: request.responseTopic || answersTopic(turbineId),
    payload: Buffer.from(JSON.stringify(answer.body)),
    properties: {
      contentType: answer.status === 200 ? "application/json" : PROBLEM_CONTENT_TYPE,
      ...(request.correlationData ? { correlationData: request.correlationData } : {}),
      userProperties: { status: String(answer.status) },
    },
  };
}
