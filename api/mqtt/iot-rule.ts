// AWS IoT Core's side of MQTT: a topic rule (infra/mqtt-ingest.ts) invokes the ingest function
// with each message on gust/v1/turbines/+/readings[/gzip], as the JSON its SQL selects:
//   SELECT encode(*, 'base64') AS payload, topic() AS topic, topic(4) AS turbine_id, ...
// IoT Core's policy let only the thing named {turbine_id} publish there, so the message speaks
// for that turbine, as on gust's own broker; the readings go through the same write path.
//
// IoT Core acknowledged the publish on receipt, before this runs (docs/mqtt.md): the answer,
// once the readings are stored, is published on the thing's answers topic as gust's own broker
// publishes it (api/mqtt/iot-answers.ts), and logged; a failure to store throws, so that Lambda
// retries the event and then keeps it in the on-failure queue. A failure to publish the answer
// is only logged: the readings are stored, and a retry of the event would not store them again.
import type { AppDeps } from "../routes/deps.ts";
import { answerMessage } from "./answers.ts";
import type { AnswerPublisher } from "./iot-answers.ts";
import { ingestPublish, type PublishAnswer } from "./publish-ingest.ts";
import { parseReadingsTopic } from "./topics.ts";

/** The event the readings rule's SQL builds from one message. */
export interface IotRuleEvent {
  /** The message as sent, base64. */
  payload: string;
  /** gust/v1/turbines/{turbine_id}/readings[/gzip] */
  topic: string;
  turbine_id: string;
  client_id?: string;
}

export function isIotRuleEvent(event: unknown): event is IotRuleEvent {
  if (typeof event !== "object" || event === null) return false;
  const e = event as Partial<IotRuleEvent>;
  return (
    typeof e.payload === "string" && typeof e.topic === "string" && typeof e.turbine_id === "string"
  );
}

export async function answerIotRule(
  event: IotRuleEvent,
  deps: AppDeps,
  publishAnswer?: AnswerPublisher,
): Promise<PublishAnswer> {
  const topic = parseReadingsTopic(event.topic);
  if (!topic || topic.turbineId !== event.turbine_id) {
    // Only a rule that is not the one infra/mqtt-ingest.ts declares sends this; keep nothing.
    throw new Error(`gust: an IoT rule event on "${event.topic}" is not a readings topic`);
  }
  const answer = await ingestPublish(
    { topic, payload: Buffer.from(event.payload, "base64") },
    deps,
  );
  if (!answer.acknowledge) {
    throw new Error(
      `gust: readings on ${event.topic} were not stored (${answer.status}); Lambda retries`,
    );
  }
  const message = answerMessage(answer, topic.turbineId);
  let published: string | undefined;
  if (publishAnswer) {
    published = await publishAnswer(message).then(
      () => message.topic,
      (error: Error) => {
        console.error(
          `gust: the answer to ${event.topic} was not published on ${message.topic} (${error.name}: ${error.message}); the readings are stored`,
        );
        return undefined;
      },
    );
  }
  console.log(
    JSON.stringify({
      mqtt: event.topic,
      client_id: event.client_id,
      status: answer.status,
      answer: answer.body,
      ...(published ? { published } : {}),
    }),
  );
  return answer;
}
