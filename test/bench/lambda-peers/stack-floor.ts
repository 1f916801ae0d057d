// A peer of the Lambda cold-start bench: the floor of gust's stack for its first event. One
// route declared with @hono/zod-openapi and zod 4 (path and query validated, response schema
// registered), answered with one Timestream Query through the AWS SDK v3 client, bundled the
// way gust is. No gust code: what any app on this stack pays before its own.
import { QueryCommand, TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { handle } from "../../../api/lambda-adapter.ts";

const client = new TimestreamQueryClient({
  maxAttempts: 1,
  endpoint: process.env.TIMESTREAM_QUERY_ENDPOINT,
});

const route = createRoute({
  method: "get",
  path: "/v1/turbines/{turbine_id}/measurements",
  request: {
    params: z.object({ turbine_id: z.string().min(1).max(64) }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(100) }),
  },
  responses: {
    200: {
      description: "The turbine's readings.",
      content: {
        "application/json": {
          schema: z.object({
            turbine_id: z.string(),
            readings: z.array(z.object({ time: z.string(), power_kw: z.number() })),
          }),
        },
      },
    },
  },
});

const app = new OpenAPIHono();
app.openapi(route, async (c) => {
  const { turbine_id } = c.req.valid("param");
  // The fake Timestream answers this query whatever the table holds.
  const answer = await client.send(new QueryCommand({ QueryString: "SELECT 1 AS ok" }));
  return c.json(
    { turbine_id, readings: (answer.Rows ?? []).map(() => ({ time: "", power_kw: 0 })) },
    200,
  );
});

export const handler = handle(app);
