// The operator and reader keys' generations: POST /v1/keys/{role}/rotate revokes a leaked
// operator or reader key without changing the secret (which would change every turbine's key),
// and GET /v1/keys/generations says which generations are current (npm run keys asks it while a
// server holds the DuckDB file). Operator key only.
import { createRoute, z } from "@hono/zod-openapi";
import { roleKey } from "../auth/keys.ts";
import { log } from "../log.ts";
import { TurbineIdSchema } from "../readings/schema.ts";
import { authenticateOperator } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";

const rotate = createRoute({
  method: "post",
  path: "/v1/keys/{role}/rotate",
  operationId: "rotateRoleKey",
  tags: ["registry"],
  summary: "Rotate the operator or reader key",
  description:
    "Issues the role's next key and revokes every earlier one: at once on a local server, within " +
    "the registry cache's lifetime on Lambda (REGISTRY_CACHE_SECONDS, 30 s by default). Rotating " +
    "the operator key revokes the key this request was sent with: keep the answer. Live-view " +
    "tokens already handed out stay valid until they expire (10 minutes). Operator key.",
  security: [{ bearerAuth: [] }],
  request: { params: z.object({ role: z.enum(["operator", "reader"]) }) },
  responses: {
    200: {
      description: "The new key; give it to whoever holds the role.",
      content: {
        "application/json": {
          schema: z.object({
            role: z.enum(["operator", "reader"]),
            key_generation: z.number().int(),
            key: z.string(),
          }),
        },
      },
    },
    401: problem("Missing or unknown API key."),
    403: problem("Not the operator key."),
    422: problem("Not a role: operator or reader."),
    503: problem("The registry is unavailable; retry after Retry-After seconds."),
  },
});

const generations = createRoute({
  method: "get",
  path: "/v1/keys/generations",
  operationId: "getKeyGenerations",
  tags: ["registry"],
  summary: "The current key generations",
  description:
    "The operator's and reader's current key generations and, with turbine_id, that turbine's " +
    "(a deleted turbine keeps its last one). Operator key.",
  security: [{ bearerAuth: [] }],
  request: { query: z.object({ turbine_id: TurbineIdSchema.optional() }) },
  responses: {
    200: {
      description: "Current generations.",
      content: {
        "application/json": {
          schema: z.object({
            operator: z.number().int(),
            reader: z.number().int(),
            turbine: z
              .object({ turbine_id: z.string(), key_generation: z.number().int() })
              .optional(),
          }),
        },
      },
    },
    401: problem("Missing or unknown API key."),
    403: problem("Not the operator key."),
    422: problem("Not a turbine id."),
    503: problem("The registry is unavailable; retry after Retry-After seconds."),
  },
});

export function registerRoleKeyRoutes(app: GustApp, deps: AppDeps): void {
  app.openapi(rotate, async (c) => {
    const principal = await authenticateOperator(c, deps, "rotate keys");
    if (principal instanceof Response) return principal as never;
    const { role } = c.req.valid("param");
    const generation = await deps.registry.rotateRoleKey(role);
    log.info("role key rotated; earlier keys are revoked", { role, generation });
    const secret = await deps.keySecret();
    return c.json(
      { role, key_generation: generation, key: roleKey(secret, role, generation) },
      200,
    );
  });

  app.openapi(generations, async (c) => {
    const principal = await authenticateOperator(c, deps, "read key generations");
    if (principal instanceof Response) return principal as never;
    const { turbine_id } = c.req.valid("query");
    const [operator, reader] = await Promise.all([
      deps.registry.roleKeyGeneration("operator"),
      deps.registry.roleKeyGeneration("reader"),
    ]);
    const turbine =
      turbine_id === undefined
        ? undefined
        : { turbine_id, key_generation: await deps.registry.keyGeneration(turbine_id) };
    return c.json({ operator, reader, ...(turbine ? { turbine } : {}) }, 200);
  });
}
