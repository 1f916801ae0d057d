// The scheduled alarm evaluation's Lambda entry point (an EventBridge rule, every minute).
// Everything is built during the init phase, once per container; a missing setting fails the
// init, loudly.
import { createScheduleHandler } from "./lambda-schedule-handler.ts";

export const handler = await createScheduleHandler(process.env);
