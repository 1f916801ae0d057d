// Query-string parameters shared by the read routes.
import { z } from "@hono/zod-openapi";

/** A time in a query string: RFC 3339 or epoch milliseconds, as epoch milliseconds. */
export const QueryTimeSchema = z
  .string()
  .transform((value, ctx) => {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    const isRfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
    if (!Number.isSafeInteger(ms) || (!/^\d+$/.test(value) && !isRfc3339.test(value))) {
      ctx.addIssue({
        code: "custom",
        message: "must be an RFC 3339 time such as 2026-11-23T10:00:00Z, or epoch milliseconds",
      });
      return z.NEVER;
    }
    return ms;
  })
  .openapi({ type: "string", example: "2026-11-23T00:00:00Z" });
