// gust as `npm run serve` runs it, except that ingest does not feed the live view and the alarm
// engine: the ingest benchmark's baseline for what those hooks cost (they must not slow ingest
// measurably).
import { startLocalServer } from "../../api/server.ts";

const server = await startLocalServer({
  dataDir: process.env.DATA_DIR ?? "",
  keySecret: process.env.API_KEY_SECRET ?? "",
  liveHooks: false,
});
console.log(`gust API without the live hooks on ${server.url}`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
