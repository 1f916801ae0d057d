// GET /live: the live page and its assets (script, styles, the province outlines), all served by
// gust itself so the page works offline, like /docs. The page's data comes from the live API.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GustApp } from "./deps.ts";

const PAGE_ASSETS = {
  "live.js": "text/javascript; charset=utf-8",
  "live.css": "text/css; charset=utf-8",
  "nl-provinces-2023.geojson": "application/geo+json",
} as const;
type PageAsset = keyof typeof PAGE_ASSETS;

/** Where the page's files are: api/live/page, or LIVE_ASSETS_DIR (the Lambda bundle's copy). */
function assetsDir(): string {
  return (
    process.env.LIVE_ASSETS_DIR ??
    join(dirname(fileURLToPath(import.meta.url)), "..", "live", "page")
  );
}

export function registerLivePageRoutes(app: GustApp): void {
  const files = new Map<string, Promise<Buffer>>();
  const file = (name: string) => {
    let content = files.get(name);
    if (!content) {
      content = readFile(join(assetsDir(), name));
      files.set(name, content);
    }
    return content;
  };
  app.get("/live", async (c) => {
    const html = await file("live.html");
    return c.body(new Uint8Array(html), 200, {
      "content-type": "text/html; charset=utf-8",
      // The page reads its key from the URL fragment; keep it out of other sites' Referer.
      "referrer-policy": "no-referrer",
      "content-security-policy":
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
    });
  });
  app.get("/live/:asset", async (c) => {
    const name = c.req.param("asset");
    // Own names only: `in` would also find constructor, toString and the rest of the prototype.
    if (!Object.hasOwn(PAGE_ASSETS, name)) return c.notFound();
    const body = await file(name);
    return c.body(new Uint8Array(body), 200, {
      "content-type": PAGE_ASSETS[name as PageAsset],
      "cache-control": "public, max-age=300",
    });
  });
}
