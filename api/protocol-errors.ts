// Errors Node's HTTP parser answers before any route runs (headers too large, a malformed
// request line, a request that never finishes). Node lets the server answer them through
// 'clientError'; gust answers with the same problem documents as everywhere else.
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";

/** The whole request, body included, must arrive within this; a turbine's 1 MiB takes seconds. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** ...and its headers within this. */
export const HEADERS_TIMEOUT_MS = 10_000;

const ANSWERS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    "headers-too-large",
    "Request header fields too large",
    "The request's headers exceed the server's limit (16 KiB): send fewer or shorter headers.",
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    "request-timeout",
    "Request timeout",
    "The request did not arrive in time: send the whole request, headers and body, within 30 seconds.",
  ],
};

const MALFORMED: [number, string, string, string] = [
  400,
  "bad-request",
  "Bad request",
  "The request is not valid HTTP/1.1 and could not be read.",
];

/** The raw HTTP answer for a protocol error, a problem document that closes the connection. */
export function protocolErrorAnswer(code: string | undefined): string {
  const [status, slug, title, detail] = (code && ANSWERS[code]) || MALFORMED;
  const body = JSON.stringify({ type: `urn:gust:problem:${slug}`, title, status, detail });
  return [
    `HTTP/1.1 ${status} ${title}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

export function answerProtocolErrors(server: Server): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    // Nobody to answer, or an answer already under way: only close.
    const message = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || message?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(protocolErrorAnswer(error.code));
  });
}
