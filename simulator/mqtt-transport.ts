// Sending the simulator's readings over MQTT (--transport mqtt): each request is one QoS 1
// publish on its turbine's readings topic, and what HTTP answers in the body comes back on the
// turbine's answers topic (docs/mqtt.md). A request is done when both the PUBACK (stored) and
// the answer (accepted, duplicates, rejections) have arrived; it is then accounted as an HTTP
// answer with the same status, so retries, rejections and --verify work as over HTTP.
//
// One connection per key: a turbine's key connects for its turbine alone; the operator key opens
// `concurrency` connections and each turbine keeps to one of them. Publishes of one turbine go
// one at a time, so the next message on its answers topic is always the answer to the publish in
// flight. A connection that closes fails its publishes in flight like a network error: the
// driver sends them again (on a new connection), and gust stores a resend once.
import mqtt, { type MqttClient } from "mqtt";
import type { SendAnswer, SendRequest, Transport } from "./transport.ts";

// The topics of docs/mqtt.md, as any device names them (the simulator is a client of gust).
const readingsTopic = (turbineId: string) => `gust/v1/turbines/${turbineId}/readings`;
const answersTopic = (turbineId: string) => `gust/v1/turbines/${turbineId}/answers`;

export interface MqttTransportOptions {
  /** mqtt://host:port, ws://host:port, or an external broker's URL. */
  url: string;
  /** Connections the operator key spreads its turbines over. */
  concurrency: number;
  /** The broker's own credentials for every connection (an external broker); default: the gust key. */
  username?: string;
  password?: string;
}

interface Connection {
  client: MqttClient;
  /** Answers topics subscribed (per turbine). */
  subscribed: Map<string, Promise<void>>;
  /** The answer awaited per turbine, and how to fail it. */
  waiting: Map<string, { answer: (text: string) => void; fail: (why: string) => void }>;
  closed: boolean;
  /** Resolves when the connection has closed. */
  whenClosed: Promise<void>;
}

export function mqttTransport(options: MqttTransportOptions): Transport {
  const connections = new Map<string, Promise<Connection>>();
  /** The publish in flight per turbine: the next waits for it. */
  const turns = new Map<string, Promise<unknown>>();
  let opened = 0;

  function connectionFor(key: string, turbineId: string): Promise<Connection> {
    const slot = key.startsWith("gust.op.") ? slotOf(turbineId, options.concurrency) : 0;
    const id = `${key}\u0000${slot}`;
    let connection = connections.get(id);
    if (!connection) {
      connection = connect(key, turbineId, () => connections.delete(id));
      connections.set(id, connection);
      // A failed connection is forgotten, so that the retry opens a new one.
      connection.catch(() => connections.delete(id));
    }
    return connection;
  }

  function connect(key: string, turbineId: string, forget: () => void): Promise<Connection> {
    const client = mqtt.connect(options.url, {
      clientId: `gust-simulator-${process.pid}-${++opened}`,
      username: options.username ?? (key.startsWith("gust.t.") ? turbineId : "gust-simulator"),
      password: options.password ?? key,
      reconnectPeriod: 0,
      clean: true,
    });
    let onClose = () => {};
    const connection: Connection = {
      client,
      subscribed: new Map(),
      waiting: new Map(),
      closed: false,
      whenClosed: new Promise<void>((resolve) => {
        onClose = resolve;
      }),
    };
    client.on("message", (topic, payload) => {
      const turbine = topic.split("/")[3] ?? "";
      const waiter = connection.waiting.get(turbine);
      if (!waiter) return;
      connection.waiting.delete(turbine);
      waiter.answer(payload.toString("utf8"));
    });
    return new Promise((resolve, reject) => {
      client.once("connect", () => resolve(connection));
      client.on("error", (error: Error & { code?: number }) => {
        // CONNACK 4 and 5: the broker refused the credentials; sending again will not help.
        const refused = error.code === 4 || error.code === 5;
        reject(new ConnectRefused(error.message, refused));
      });
      client.on("close", () => {
        connection.closed = true;
        forget();
        for (const waiter of connection.waiting.values()) {
          waiter.fail("the broker closed the connection before answering");
        }
        connection.waiting.clear();
        onClose();
        // Publishes without a PUBACK would wait for a reconnect that never comes.
        client.end(true);
        reject(new ConnectRefused("the broker closed the connection", false));
      });
    });
  }

  async function publish(request: SendRequest): Promise<SendAnswer> {
    const turbineId = request.turbineId;
    if (turbineId === null) throw new Error("MQTT publishes one turbine's readings at a time");
    let connection: Connection;
    try {
      connection = await connectionFor(request.key, turbineId);
    } catch (error) {
      const refused = error instanceof ConnectRefused && error.refused;
      return refused
        ? {
            status: 401,
            text: problem(401, `The broker refused the key: ${(error as Error).message}`),
          }
        : { status: 0, text: (error as Error).message };
    }
    const { client } = connection;
    let subscription = connection.subscribed.get(turbineId);
    if (!subscription) {
      const topic = answersTopic(turbineId);
      subscription = client.subscribeAsync(topic, { qos: 1 }).then((granted) => {
        if (granted[0]?.qos === 128) throw new Error(`this key may not subscribe to ${topic}`);
      });
      connection.subscribed.set(turbineId, subscription);
    }
    try {
      await subscription;
    } catch (error) {
      connection.subscribed.delete(turbineId);
      if (connection.closed) return { status: 0, text: (error as Error).message };
      return { status: 403, text: problem(403, (error as Error).message) };
    }
    const answer = new Promise<SendAnswer>((resolve) => {
      connection.waiting.set(turbineId, {
        answer: (text) => resolve({ status: statusOf(text), text }),
        fail: (why) => resolve({ status: 0, text: why }),
      });
    });
    const acknowledged = client
      .publishAsync(readingsTopic(turbineId), request.body, { qos: 1 })
      .then(
        () => null,
        (error: Error) => ({ status: 0, text: `no PUBACK: ${error.message}` }) as SendAnswer,
      );
    // The answer may come before the PUBACK or after it; a closed connection fails both.
    const failed = await Promise.race([
      acknowledged,
      connection.whenClosed.then(
        (): SendAnswer => ({
          status: 0,
          text: "the broker closed the connection before the PUBACK",
        }),
      ),
    ]);
    if (failed) {
      connection.waiting.delete(turbineId);
      return failed;
    }
    return answer;
  }

  return {
    send(request) {
      const turbineId = request.turbineId ?? "";
      const previous = turns.get(turbineId) ?? Promise.resolve();
      const turn = previous.then(() => publish(request));
      const settled = turn.catch(() => undefined);
      turns.set(turbineId, settled);
      settled.then(() => {
        if (turns.get(turbineId) === settled) turns.delete(turbineId);
      });
      return turn;
    },
    async close() {
      const open = await Promise.allSettled([...connections.values()]);
      await Promise.all(
        open.flatMap((c) => (c.status === "fulfilled" ? [c.value.client.endAsync()] : [])),
      );
      connections.clear();
    },
  };
}

class ConnectRefused extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

/** The HTTP status of an answer: a problem document carries its own; counts are a 200. */
function statusOf(text: string): number {
  try {
    const body = JSON.parse(text) as { status?: unknown; type?: unknown };
    return typeof body.type === "string" && typeof body.status === "number" ? body.status : 200;
  } catch {
    return 502;
  }
}

function problem(status: number, detail: string): string {
  return JSON.stringify({ status, title: status === 401 ? "Unauthorized" : "Forbidden", detail });
}

/** Which of the operator's connections a turbine keeps to. */
function slotOf(turbineId: string, slots: number): number {
  let hash = 0;
  for (const char of turbineId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % Math.max(1, slots);
}
