// POST /v1/turbines/{turbine_id}/keys/rotate: revoke a leaked turbine key without re-keying the
// fleet. The registry's key_generation goes up by one; the answer carries the new key, and every
// key of an earlier generation is a 401 from then on (routes/auth.ts). Operator key only.
import { createRoute, z } from "@hono/zod-openapi";
import { turbineKey } from "../auth/keys.ts";
import { log } from "../log.ts";
import { problemResponse } from "../problem.ts";
import { TurbineIdSchema } from "../readings/schema.ts";
import { authenticateOperator } from "./auth.ts";
import type { AppDeps, GustApp } from "./deps.ts";
import { problem } from "./problem-doc.ts";

const route = createRoute({
  method: "post",
  path: "/v1/turbines/{turbine_id}/keys/rotate",
  operationId: "rotateTurbineKey",
  tags: ["turbines"],
  summary: "Rotate a registered turbine's key",
  description:
    "Issues the turbine's next key and revokes every earlier one at once (on Lambda within the " +
    "registry cache's lifetime, REGISTRY_CACHE_SECONDS). Only registered turbines have key " +
    "generations: an unregistered turbine keeps the key derived from the secret. Operator key.",
  security: [{ bearerAuth: [] }],
  request: { params: z.object({ turbine_id: TurbineIdSchema }) },
  responses: {
    200: {
      description: "The new key; configure it on the turbine.",
      content: {
        "application/json": {
          schema: z.object({
            turbine_id: z.string(),
            key_generation: z.number().int(),
            key: z.string(),
          }),
        },
      },
    },
    401: problem("Missing or unknown API key."),
    403: problem("Not the operator key."),
    404: problem("The turbine is not registered."),
    422: problem("Not a turbine id."),
    503: problem("The registry is unavailable; retry after Retry-After seconds."),
  },
});

export function registerTurbineKeyRoutes(app: GustApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const principal = await authenticateOperator(c, deps, "rotate keys");
    if (principal instanceof Response) return principal as never;
    const { turbine_id } = c.req.valid("param");
    const rotated = await deps.registry.rotateKey(turbine_id);
    if (!rotated) {
      return problemResponse(
        404,
        "not-found",
        "Turbine not registered",
        `Turbine "${turbine_id}" is not registered, so its key cannot be rotated: register it with PUT /v1/turbines/${turbine_id} first (its key stays the same until the first rotation).`,
      ) as never;
    }
    const secret = await deps.keySecret();
    log.info("turbine key rotated; earlier keys are revoked", {
      turbine_id,
      generation: rotated.key_generation,
    });
    return c.json(
      {
        turbine_id,
        key_generation: rotated.key_generation,
        key: turbineKey(secret, turbine_id, rotated.key_generation),
      },
      200,
    );
  });
}
