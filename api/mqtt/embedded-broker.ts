// gust's own MQTT broker (aedes, MQTT 3.1.1) on a TCP port, in the API's process: the local path
// takes MQTT with nothing else installed. Credentials are gust's keys (the key as the password),
// checked at CONNECT and again at every publish and subscription, so a rotated key stops at once.
//
// Acknowledged means stored: aedes sends a QoS 1 PUBACK once authorizePublish calls back, and
// only then forwards the message, so the readings are stored inside authorizePublish. A publish
// the store could not take is not acknowledged: the connection is closed (MQTT 3.1.1 has no
// negative PUBACK) and the publisher sends it again when it reconnects.
import { createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from "aedes";
import type { Principal } from "../auth/keys.ts";
import { isAnswer } from "../problem.ts";
import { MAX_BODY_BYTES } from "../readings/request-body.ts";
import { authenticate } from "../routes/auth.ts";
import type { AppDeps } from "../routes/deps.ts";
import { maySubscribe } from "./access.ts";
import { answerMessage } from "./answers.ts";
import { BoundedConnection, type OversizedPublish } from "./publish-bound.ts";
import { ingestPublish } from "./publish-ingest.ts";
import { parseReadingsTopic } from "./topics.ts";
import { listenWebSockets } from "./websockets.ts";

export interface EmbeddedBrokerOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** Also MQTT over WebSockets on this port (0 picks a free one). */
  wsPort?: number;
}

export interface EmbeddedBroker {
  /** mqtt://host:port */
  url: string;
  /** ws://host:port, when wsPort was given. */
  wsUrl?: string;
  /** Publishes a message to subscribers, as gust (the live topics), at QoS 0. */
  publish(topic: string, payload: Buffer | string): Promise<void>;
  close(): Promise<void>;
}

// MQTT 3.1.1 CONNACK return code 4: bad user name or password.
const BAD_USERNAME_OR_PASSWORD = 4;

export async function startEmbeddedBroker(
  deps: AppDeps,
  options: EmbeddedBrokerOptions,
): Promise<EmbeddedBroker> {
  // The key each client connected with, checked again at each publish and subscription.
  const keys = new WeakMap<Client, string>();
  // Publishes over the body limit whose payload each connection dropped, in order.
  const oversized = new WeakMap<object, OversizedPublish[]>();
  const principalOf = async (client: Client): Promise<Principal | null> => {
    const key = keys.get(client);
    if (key === undefined) return null;
    const principal = await authenticate(
      { header: () => `Bearer ${key}`, env: { incoming: { socket: client.conn } } },
      deps,
    );
    return isAnswer(principal) ? null : principal;
  };

  const broker = await Aedes.createBroker({
    authenticate(client, _username, password, done) {
      const key = password?.toString("utf8") ?? "";
      keys.set(client, key);
      principalOf(client).then(
        (principal) => {
          if (principal) return done(null, true);
          const error = new Error("not a valid gust key") as AuthenticateError;
          error.returnCode = BAD_USERNAME_OR_PASSWORD as AuthenticateError["returnCode"];
          done(error, false);
        },
        (error: Error) => done(error as AuthenticateError, false),
      );
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(new Error("gust's broker takes no wills"));
      authorizeAndStore(client, packet).then(done, done);
    },
    authorizeSubscribe(client, subscription, done) {
      principalOf(client).then(
        (principal) =>
          done(
            null,
            principal && maySubscribe(principal, subscription.topic) ? subscription : null,
          ),
        (error: Error) => done(error),
      );
    },
  });

  /** Resolves to undefined when the PUBACK may go, to the error that closes the connection otherwise. */
  async function authorizeAndStore(
    client: Client,
    packet: PublishPacket,
  ): Promise<Error | undefined> {
    const dropped = droppedPayload(client, packet);
    const topic = parseReadingsTopic(packet.topic);
    if (!topic) return new Error(`"${packet.topic}" is not a topic publishers may use`);
    const principal = await principalOf(client);
    if (!principal) return new Error("the key is no longer valid (rotated?)");
    if (
      principal.role === "reader" ||
      (principal.role === "turbine" && principal.turbineId !== topic.turbineId)
    ) {
      return new Error(`this key may not publish on ${packet.topic}`);
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const answer = await ingestPublish({ topic, payload, ...dropped }, deps, {
      incoming: { socket: client.conn },
    });
    if (!answer.acknowledge)
      return new Error(`the readings were not stored (${answer.status}); send again`);
    const message = answerMessage(answer, topic.turbineId);
    broker.publish(
      {
        cmd: "publish",
        topic: message.topic,
        payload: message.payload,
        qos: 1,
        retain: false,
        dup: false,
      },
      () => {},
    );
    // The readings topic is never forwarded (./access.ts): the message is done with.
    return undefined;
  }

  /** The size of the payload the connection dropped for this publish, if it did. */
  function droppedPayload(client: Client, packet: PublishPacket): { payloadBytes?: number } {
    const list = oversized.get(client.conn);
    const head = list?.[0];
    if (!head || head.topic !== packet.topic || head.messageId !== packet.messageId) return {};
    list?.shift();
    return { payloadBytes: head.payloadBytes };
  }

  /** A connection (TCP, or a WebSocket's stream) to the broker, through the publish bound. */
  function handle(stream: Duplex & { remoteAddress?: string }): void {
    const dropped: OversizedPublish[] = [];
    const connection = new BoundedConnection(stream, MAX_BODY_BYTES, (p) => dropped.push(p));
    oversized.set(connection, dropped);
    broker.handle(connection);
  }

  // noDelay: a PUBACK is a few bytes that a device waits for before its next publish; with Nagle's
  // algorithm on, it waited for the device's delayed ACK and a single-reading publisher ran at
  // half the rate of HTTP (which Node's HTTP server runs without Nagle).
  const server: Server = createServer({ noDelay: true }, (socket: Socket) => handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as { port: number };
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  // A WebSocket message holds at most one publish of the body limit with a long topic: the ws
  // library reads a message whole, so its own limit bounds what a message makes gust hold.
  const webSockets =
    options.wsPort === undefined
      ? undefined
      : await listenWebSockets(options.wsPort, options.host, MAX_BODY_BYTES + 70_000, handle);
  return {
    url: `mqtt://${host}:${address.port}`,
    ...(webSockets ? { wsUrl: `ws://${host}:${webSockets.port}` } : {}),
    publish(topic, payload) {
      return new Promise((resolve, reject) =>
        broker.publish(
          {
            cmd: "publish",
            topic,
            payload: typeof payload === "string" ? Buffer.from(payload) : payload,
            qos: 0,
            retain: false,
            dup: false,
          },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    },
    async close() {
      await webSockets?.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
