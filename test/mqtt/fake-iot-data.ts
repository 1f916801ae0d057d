// AWS IoT Core's data plane Publish API (POST /topics/{topic}) as AWS documents it, on loopback,
// for the ingest function's answers: SigV4 for the "iotdata" service, the caller's IAM policy on
// the topic ARN, QoS 0 or 1 only, a topic of at most 256 bytes and 7 slashes without wildcards,
// a payload of at most 128 KB, user properties as base64 of a JSON array of objects, and the
// documented error types (x-amzn-ErrorType) and statuses. Never more lenient than IoT Core.
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface PublishedMessage {
  topic: string;
  qos: number;
  payload: Buffer;
  contentType?: string;
  userProperties?: Record<string, string>[];
  correlationData?: string;
}

export interface FakeIotData {
  url: string;
  /** Every message IoT Core accepted, in order. */
  published: PublishedMessage[];
  /** The next n publishes are throttled (429 ThrottlingException). */
  throttleNext(n: number): void;
  close(): Promise<void>;
}

export interface FakeIotDataOptions {
  region: string;
  account: string;
  /** The caller's iot:Publish resources (IAM ARN patterns, `*` any characters). */
  allowPublish: string[];
}

const MAX_PAYLOAD_BYTES = 128 * 1024;
const MAX_TOPIC_BYTES = 256;
const MAX_TOPIC_SLASHES = 7;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function matches(pattern: string, arn: string): boolean {
  const regex = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${regex}$`).test(arn);
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeIotData(options: FakeIotDataOptions): Promise<FakeIotData> {
  const published: PublishedMessage[] = [];
  let throttled = 0;

  function publish(request: IncomingMessage, payload: Buffer): void {
    const url = new URL(request.url ?? "/", "http://iot");
    if (!url.pathname.startsWith("/topics/")) {
      throw new ApiError(404, "ResourceNotFoundException", "No such resource");
    }
    if (request.method !== "POST") {
      throw new ApiError(405, "MethodNotAllowedException", "Publish takes POST");
    }
    // SigV4 for the data plane's signing name; anything else is refused before IAM.
    const authorization = request.headers.authorization ?? "";
    const scope = authorization.match(/Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/);
    if (!authorization.startsWith("AWS4-HMAC-SHA256 ") || !scope) {
      throw new ApiError(403, "ForbiddenException", "Missing Authentication Token");
    }
    if (scope[1] !== options.region || scope[2] !== "iotdata") {
      throw new ApiError(
        403,
        "ForbiddenException",
        `Credential should be scoped to a valid region and service iotdata, not ${scope[1]}/${scope[2]}`,
      );
    }
    const topic = decodeURIComponent(url.pathname.slice("/topics/".length));
    if (
      topic === "" ||
      Buffer.byteLength(topic) > MAX_TOPIC_BYTES ||
      topic.split("/").length - 1 > MAX_TOPIC_SLASHES ||
      /[+#]/.test(topic)
    ) {
      throw new ApiError(400, "InvalidRequestException", `Invalid topic name: ${topic}`);
    }
    const arn = `arn:aws:iot:${options.region}:${options.account}:topic/${topic}`;
    if (!options.allowPublish.some((pattern) => matches(pattern, arn))) {
      throw new ApiError(
        403,
        "ForbiddenException",
        `User is not authorized to perform: iot:Publish on resource: ${arn}`,
      );
    }
    const qos = Number(url.searchParams.get("qos") ?? "0");
    if (qos !== 0 && qos !== 1) {
      throw new ApiError(400, "InvalidRequestException", `Invalid QoS: ${qos}`);
    }
    if (payload.byteLength > MAX_PAYLOAD_BYTES) {
      throw new ApiError(
        413,
        "RequestEntityTooLargeException",
        `Payload of ${payload.byteLength} bytes is over 128 KB`,
      );
    }
    let userProperties: Record<string, string>[] | undefined;
    const header = request.headers["x-amz-mqtt5-user-properties"];
    if (typeof header === "string") {
      try {
        userProperties = JSON.parse(Buffer.from(header, "base64").toString("utf8"));
      } catch {
        userProperties = undefined;
      }
      const valid =
        Array.isArray(userProperties) &&
        userProperties.every(
          (entry) =>
            typeof entry === "object" &&
            entry !== null &&
            Object.values(entry).every((value) => typeof value === "string"),
        );
      if (!valid) {
        throw new ApiError(400, "InvalidRequestException", "Invalid user properties");
      }
    }
    if (throttled > 0) {
      throttled--;
      throw new ApiError(429, "ThrottlingException", "Rate exceeded");
    }
    const contentType = url.searchParams.get("contentType");
    const correlationData = request.headers["x-amz-mqtt5-correlation-data"];
    published.push({
      topic,
      qos,
      payload,
      ...(contentType ? { contentType } : {}),
      ...(userProperties ? { userProperties } : {}),
      ...(typeof correlationData === "string" ? { correlationData } : {}),
    });
  }

  const server: Server = createServer(async (request, response) => {
    const payload = await body(request);
    try {
      publish(request, payload);
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    } catch (error) {
      const e =
        error instanceof ApiError
          ? error
          : new ApiError(500, "InternalFailureException", String(error));
      response.writeHead(e.status, {
        "content-type": "application/json",
        "x-amzn-errortype": e.type,
      });
      response.end(JSON.stringify({ message: e.message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    published,
    throttleNext(n) {
      throttled = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
