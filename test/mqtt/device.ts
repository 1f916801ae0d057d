// A turbine (or gateway) as an MQTT device in tests: the `mqtt` client package, waiting on its
// events (connect, PUBACK, answers, close), never on time.
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

export interface Device {
  client: MqttClient;
  /** Publishes at QoS 1 and resolves on the PUBACK. */
  publish(topic: string, payload: unknown, options?: { raw?: Buffer }): Promise<void>;
  /** The next message on a topic the device subscribed to, parsed as JSON. */
  next(topic: string): Promise<any>;
  /** Subscribes, resolving on the SUBACK with the granted QoS (128: refused). */
  subscribe(filter: string): Promise<number>;
  /** Resolves when the broker has closed the connection. */
  closed(): Promise<void>;
  end(): Promise<void>;
}

export async function connectDevice(url: string, options: IClientOptions = {}): Promise<Device> {
  // MQTT 3.1.1 sends a password only with a user name; gust reads the key from the password.
  const client = mqtt.connect(url, { reconnectPeriod: 0, username: "device", ...options });
  const waiting = new Map<string, ((payload: Buffer) => void)[]>();
  const queued = new Map<string, Buffer[]>();
  client.on("message", (topic, payload) => {
    const waiter = waiting.get(topic)?.shift();
    if (waiter) waiter(payload);
    else queued.set(topic, [...(queued.get(topic) ?? []), payload]);
  });
  const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return {
    client,
    async publish(topic, payload, { raw } = {}) {
      const body = raw ?? Buffer.from(JSON.stringify(payload));
      await client.publishAsync(topic, body, { qos: 1 });
    },
    next(topic) {
      const ready = queued.get(topic)?.shift();
      if (ready) return Promise.resolve(JSON.parse(ready.toString()));
      return new Promise((resolve) =>
        waiting.set(topic, [
          ...(waiting.get(topic) ?? []),
          (payload) => resolve(JSON.parse(payload.toString())),
        ]),
      );
    },
    async subscribe(filter) {
      // mqtt.js rejects a SUBACK that refuses the subscription (return code 128).
      const granted = await client.subscribeAsync(filter, { qos: 1 }).catch(() => null);
      return granted?.[0]?.qos ?? 128;
    },
    closed: () => closed,
    async end() {
      await client.endAsync(true);
    },
  };
}
