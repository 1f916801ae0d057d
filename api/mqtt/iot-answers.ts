// Answers on AWS IoT Core: the ingest function publishes the answer to a thing's publish on the
// thing's answers topic through IoT Core's data plane (the HTTPS Publish API), as gust's own
// broker publishes it locally. The function's role may publish on gust/v1/turbines/*/answers
// only (infra/mqtt-ingest.ts).
//
// IoT Core takes a message of at most 128 KB. An answer longer than that (a batch of 1000
// readings rejected one by one with long details) keeps the first entries of its list that fit,
// and says how many it left out ("omitted"), rather than not being published at all.
import type { IoTDataPlaneClient } from "@aws-sdk/client-iot-data-plane";
import type { AnswerMessage } from "./answers.ts";

/** AWS IoT Core's largest message payload (docs: "AWS IoT Core message broker limits"). */
export const IOT_MAX_PAYLOAD_BYTES = 128 * 1024;

export type AnswerPublisher = (message: AnswerMessage) => Promise<void>;

/**
 * Publishes answers through the account's IoT data endpoint (IOT_DATA_ENDPOINT, the
 * `iot:Data-ATS` endpoint the stack looks up); undefined without one (answers are then only logged).
 */
export function iotAnswerPublisher(
  env: NodeJS.ProcessEnv,
  client?: IoTDataPlaneClient,
): AnswerPublisher | undefined {
  const endpoint = env.IOT_DATA_ENDPOINT;
  if (!endpoint && !client) return undefined;
  // Loaded on the first answer: a function that only answers HTTP never loads the client.
  let iot: Promise<IoTDataPlaneClient> | undefined;
  return async (message) => {
    const { IoTDataPlaneClient, PublishCommand } = await import("@aws-sdk/client-iot-data-plane");
    iot ??= Promise.resolve(
      client ??
        new IoTDataPlaneClient({
          endpoint: endpoint?.startsWith("https://") ? endpoint : `https://${endpoint}`,
        }),
    );
    await (await iot).send(
      new PublishCommand({
        topic: message.topic,
        qos: 1,
        payload: fitToIot(message.payload),
        contentType: message.properties.contentType,
        userProperties: JSON.stringify([message.properties.userProperties]),
        ...(message.properties.correlationData
          ? { correlationData: message.properties.correlationData.toString("base64") }
          : {}),
      }),
    );
  };
}

/** The answer as it fits in one IoT Core message: the first entries of its list that fit. */
export function fitToIot(payload: Buffer, limit = IOT_MAX_PAYLOAD_BYTES): Buffer {
  if (payload.byteLength <= limit) return payload;
  const body = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
  // The 200's per-reading rejections, or a 422's per-field errors: the one list that grows.
  const field = ["rejected", "errors"].find((name) => Array.isArray(body[name]));
  if (!field) return payload;
  const all = body[field] as unknown[];
  const encode = (kept: number) =>
    Buffer.from(
      JSON.stringify({ ...body, [field]: all.slice(0, kept), omitted: all.length - kept }),
    );
  // The longest prefix that fits, by bisection.
  let low = 0;
  let high = all.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (encode(mid).byteLength <= limit) low = mid;
    else high = mid - 1;
  }
  return encode(low);
}
