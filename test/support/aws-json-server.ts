// The awsJson1_0 protocol on a loopback HTTP server, for the wire fakes of AWS services
// (test/timestream/wire-timestream.ts, test/registry/wire-dynamodb.ts) that the real SDK
// clients reach through their `endpoint`: POST / with `X-Amz-Target: <Service_Version>.<Operation>`
// and a JSON body; answers application/x-amz-json-1.0, errors as {"__type", "message", ...}
// with the HTTP status the service model declares and the X-Amzn-ErrorType header.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An error as the service answers it: `type` is the exception's shape name. */
export class AwsError {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly message: string,
    readonly extra: object = {},
  ) {}
}

/** Returned by an operation that should never answer (a hung connection). */
export const HANG = Symbol("hang");

export interface AwsJsonServerOptions {
  /** The namespace of error types, e.g. "com.amazonaws.dynamodb.v20120810". */
  errorNamespace: string;
  /** Every call, in arrival order, before it is handled. */
  onCall?: (operation: string, body: any) => void;
  /** The operation's answer; throw AwsError for a service error. */
  handle: (operation: string, body: any) => object | typeof HANG;
}

export interface AwsJsonServer {
  url: string;
  close(): Promise<void>;
}

export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const hanging = new Set<ServerResponse>();
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = target.split(".")[1] ?? "";
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify(body));
    };
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      options.onCall?.(operation, body);
      const answer = options.handle(operation, body);
      if (answer === HANG) {
        hanging.add(response); // never answered; closed with the server
        return;
      }
      send(200, answer);
    } catch (error) {
      if (!(error instanceof AwsError)) {
        send(500, { __type: "InternalServerError", message: String(error) });
        return;
      }
      response.setHeader("x-amzn-errortype", error.type);
      send(error.status, {
        __type: `${options.errorNamespace}#${error.type}`,
        message: error.message,
        ...error.extra,
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
