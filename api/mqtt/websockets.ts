// MQTT over WebSockets for gust's own broker: browsers, and gateways behind proxies that pass
// only HTTP, connect to ws://host:MQTT_WS_PORT (any path; subprotocol "mqtt") and speak the same
// MQTT as over TCP, with the same keys and topics. Each WebSocket becomes a byte stream for the
// broker, read through the same bound on publishes as a TCP connection.
import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { createWebSocketStream, WebSocketServer } from "ws";

export interface WebSocketListener {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens for WebSockets on `port` and hands each as a stream to `handle`. A WebSocket message
 * over `maxMessageBytes` closes its connection (1009): the ws library holds a message whole.
 */
export async function listenWebSockets(
  port: number,
  host: string,
  maxMessageBytes: number,
  handle: (stream: Duplex & { remoteAddress?: string }) => void,
): Promise<WebSocketListener> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(426, { "content-type": "text/plain", upgrade: "websocket" });
    response.end(
      "This is gust's MQTT over WebSockets: connect an MQTT client to ws://this-host:port.\n",
    );
  });
  const sockets = new WebSocketServer({ server, maxPayload: maxMessageBytes });
  sockets.on("connection", (socket, request) => {
    const stream = createWebSocketStream(socket) as Duplex & { remoteAddress?: string };
    stream.remoteAddress = request.socket.remoteAddress;
    // A socket that fails (a message over the limit, a reset) ends its stream; the broker sees it close.
    stream.on("error", () => stream.destroy());
    handle(stream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
