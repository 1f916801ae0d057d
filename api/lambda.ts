// The Lambda entry point (HTTP API payload format 2.0). Everything is built during the init
// phase, once per container; a missing secret or setting fails the init, loudly.
import { createLambdaHandler } from "./lambda-handler.ts";

export const handler = await createLambdaHandler(process.env);
