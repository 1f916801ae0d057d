// An error answer as the OpenAPI document describes it: a problem document (api/problem.ts) and
// what the status means on that route. Every route's error statuses are declared with it.
import { ProblemSchema } from "../readings/schema.ts";

export function problem(description: string) {
  return { description, content: { "application/problem+json": { schema: ProblemSchema } } };
}
