// gust as a subscriber of an existing broker (Mosquitto, EMQX, ...): the broker authenticates
// publishers and decides by its own ACL who publishes on which turbine's topic; gust takes what
// arrives on the readings topics and stores it. A persistent MQTT 5 session (clean start off, a
// long session expiry) and manual acknowledgements (mqtt.js customHandleAcks): gust's PUBACK to
// the broker goes only once the readings are stored, so whatever the broker holds while gust is
// down or restarting reaches gust when it is back, and nothing acknowledged is lost.
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { AppDeps } from "../routes/deps.ts";
import { answerMessage } from "./answers.ts";
import { ingestPublish } from "./publish-ingest.ts";
import { parseReadingsTopic, READINGS_FILTERS } from "./topics.ts";

export interface ExternalBrokerOptions {
  /** mqtt://host:port (or mqtts://, ws://) */
  url: string;
  username?: string;
  password?: string;
  /** The session's client id: the broker keeps what gust has not acknowledged under it. */
  clientId: string;
}

export interface ExternalBroker {
  /** Publishes as gust (the live topics), QoS 0. */
  publish(topic: string, payload: Buffer | string): Promise<void>;
  close(): Promise<void>;
}

/** How long the broker keeps gust's session while gust is away: a week. */
const SESSION_EXPIRY_SECONDS = 7 * 24 * 3600;
// MQTT 5 PUBACK reason code 0: success.
const SUCCESS = 0;

export async function connectExternalBroker(
  deps: AppDeps,
  options: ExternalBrokerOptions,
): Promise<ExternalBroker> {
  const clientOptions: IClientOptions = {
    protocolVersion: 5,
    clientId: options.clientId,
    clean: false,
    properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS },
    reconnectPeriod: 1000,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    customHandleAcks(topic, payload, packet, done) {
      storeMessage(topic, payload, packet.properties).then(
        () => done(SUCCESS),
        (error: Error) => {
          // Not acknowledged: the broker sends it again once gust reconnects (MQTT 5 resends
          // unacknowledged messages only on a new connection), so the connection is renewed.
          done(error);
          client.stream.destroy();
        },
      );
    },
  };
  const client: MqttClient = mqtt.connect(options.url, clientOptions);
  // Reconnects are mqtt.js's; an error here is logged, not thrown (the broker may come back).
  client.on("error", (error) =>
    console.error(`gust: MQTT broker ${options.url}: ${error.message}`),
  );

  async function storeMessage(
    topic: string,
    payload: Buffer,
    properties: { contentType?: string; responseTopic?: string; correlationData?: Buffer } = {},
  ): Promise<void> {
    const readings = parseReadingsTopic(topic);
    // Only the readings filters are subscribed; anything else is acknowledged and dropped.
    if (!readings) return;
    const answer = await ingestPublish(
      {
        topic: readings,
        payload,
        ...(properties.contentType ? { contentType: properties.contentType } : {}),
      },
      deps,
    );
    if (!answer.acknowledge) throw new Error(`the readings were not stored (${answer.status})`);
    const message = answerMessage(answer, readings.turbineId, properties);
    client.publish(message.topic, message.payload, { qos: 1, properties: message.properties });
  }

  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  await client.subscribeAsync([...READINGS_FILTERS], { qos: 1 });
  return {
    async publish(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 0 });
    },
    async close() {
      await client.endAsync();
    },
  };
}
