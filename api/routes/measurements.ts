// POST /v1/measurements in the Hono app: the turbine's write path (api/routes/ingest.ts, which
// reads the body by hand, in the contract's order), documented from the same zod schemas that
// validate it.
import { readBody } from "../readings/request-body.ts";
import { IngestBodySchema, IngestResultSchema } from "../readings/schema.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { ingest, MEASUREMENTS_PATH } from "./ingest.ts";
import { problem } from "./problem-doc.ts";

export function registerMeasurementRoutes(app: GustApp, deps: AppDeps): void {
  documentIngestRoute(app);

  app.post(MEASUREMENTS_PATH, async (c) => {
    const answer = await ingest(
      {
        header: (name) => c.req.header(name),
        readBody: () => readBody(c.req),
        // Only asked at the few points where a gone client saves work (the raw Request's
        // signal is built on first use).
        gone: () => c.req.raw.signal.aborted,
        env: c.env,
      },
      deps,
    );
    return answer instanceof Response ? answer : c.json(answer, 200);
  });
}

function documentIngestRoute(app: GustApp): void {
  app.openAPIRegistry.registerPath({
    method: "post",
    path: MEASUREMENTS_PATH,
    operationId: "sendReadings",
    tags: ["measurements"],
    summary: "Send readings",
    description: [
      'One reading, or `{"readings": [...]}` with up to 1000. A reading\'s identity is',
      "(turbine_id, time): an identical re-send counts as a duplicate and is stored once; a",
      "different reading with the same identity is rejected as `conflict` unless it carries a",
      "higher `version`, which replaces the stored one. Times more than 15 minutes ahead or",
      "older than the write window are rejected as `too_new` / `too_old`. The whole request is",
      "validated first: any schema error answers 422 and stores nothing. `Content-Encoding: gzip`",
      "is accepted. A 200 means every accepted reading is durably stored.",
    ].join(" "),
    security: [{ bearerAuth: [] }],
    request: {
      body: { required: true, content: { "application/json": { schema: IngestBodySchema } } },
    },
    responses: {
      200: {
        description: "What became of each reading.",
        content: { "application/json": { schema: IngestResultSchema } },
      },
      400: problem("Malformed JSON or gzip, or JSON nested more than 8 deep."),
      401: problem("Missing or unknown API key."),
      403: problem(
        "The key may not write (a reader key, refused before its body is read), may not write one of the turbines in the body, or (REQUIRE_REGISTERED) a turbine is not registered.",
      ),
      413: problem(
        "Body over 1 MiB (16 MiB once gunzipped), more than 1000 readings, an object of more than 256 members, an array of more than 1000 elements, or more than 120,000 JSON values.",
      ),
      415: problem("Content-Type is not application/json, or an unsupported Content-Encoding."),
      422: problem(
        "Schema errors (strings that are not well-formed Unicode included), each with a JSON pointer and the reading's index, the first 100 listed; or new measure names beyond the store's 256.",
      ),
      503: problem("The store is unavailable; retry after Retry-After seconds."),
    },
  });
}
