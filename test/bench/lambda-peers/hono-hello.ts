// A peer of the Lambda cold-start bench: the least a Hono app on Lambda does for one event.
// Hono's adapter turns the event into a web Request and reads back a web Response, so this peer
// pays for Node's own fetch classes (undici, loaded on first use) besides Hono itself.
import { Hono } from "hono";
import { handle } from "../../../api/lambda-adapter.ts";

const app = new Hono();
app.get("/v1/turbines/:turbine_id/measurements", (c) =>
  c.json({ turbine_id: c.req.param("turbine_id"), readings: [] }),
);

export const handler = handle(app);
