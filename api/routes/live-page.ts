// GET /live: the live page and its assets (script, styles, the province outlines, and Vega-Lite,
// Vega and Vega's expression interpreter, which draw its charts), all served by gust itself so
// the page works offline, like /docs. The page's data comes from the live API.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GustApp } from "./deps.ts";

const JS = "text/javascript; charset=utf-8";
const PAGE_ASSETS = {
  "live.js": JS,
  "charts.js": JS,
  "vega-util.js": JS,
  "live.css": "text/css; charset=utf-8",
  "nl-provinces-2023.geojson": "application/geo+json",
} as const;
/** Files of installed packages, each as [package, file beside the package's main entry]. */
export const LIVE_VENDOR_ASSETS = {
  "vega.min.js": ["vega", "vega.min.js"],
  "vega-lite.min.js": ["vega-lite", "vega-lite.min.js"],
  "vega-interpreter.js": ["vega-interpreter", "vega-interpreter.js"],
} as const;
type PageAsset = keyof typeof PAGE_ASSETS;
type VendorAsset = keyof typeof LIVE_VENDOR_ASSETS;

/** Where the page's files are: api/live/page, or LIVE_ASSETS_DIR (the Lambda bundle's copy). */
function assetsDir(): string {
  return (
    process.env.LIVE_ASSETS_DIR ??
    join(dirname(fileURLToPath(import.meta.url)), "..", "live", "page")
  );
}

/** A package's file: from the installed package, or LIVE_ASSETS_DIR where the bundle put it. */
export function vendorAssetPath(name: VendorAsset): string {
  if (process.env.LIVE_ASSETS_DIR) return join(process.env.LIVE_ASSETS_DIR, name);
  const [pkg, file] = LIVE_VENDOR_ASSETS[name];
  return join(dirname(createRequire(import.meta.url).resolve(pkg)), file);
}

// Vega's expressions run through its interpreter, so the page needs no 'unsafe-eval'; the one
// inline script is the import map that lets the interpreter's `import "vega-util"` resolve, and
// the policy allows exactly that script by its hash.
function contentSecurityPolicy(html: string): string {
  const importMap = html.match(/<script type="importmap">([\s\S]*?)<\/script>/)?.[1];
  const scripts = importMap
    ? `script-src 'self' 'sha256-${createHash("sha256").update(importMap).digest("base64")}'; `
    : "";
  return `default-src 'self'; ${scripts}img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'`;
}

export function registerLivePageRoutes(app: GustApp): void {
  const files = new Map<string, Promise<Buffer>>();
  const file = (name: string, path: string) => {
    let content = files.get(name);
    if (!content) {
      content = readFile(path);
      files.set(name, content);
    }
    return content;
  };
  let policy: string | undefined;
  app.get("/live", async (c) => {
    const html = await file("live.html", join(assetsDir(), "live.html"));
    policy ??= contentSecurityPolicy(html.toString("utf8"));
    return c.body(new Uint8Array(html), 200, {
      "content-type": "text/html; charset=utf-8",
      // The page reads its key from the URL fragment; keep it out of other sites' Referer.
      "referrer-policy": "no-referrer",
      "content-security-policy": policy,
    });
  });
  app.get("/live/:asset", async (c) => {
    const name = c.req.param("asset");
    // Own names only: `in` would also find constructor, toString and the rest of the prototype.
    if (Object.hasOwn(LIVE_VENDOR_ASSETS, name)) {
      const body = await file(name, vendorAssetPath(name as VendorAsset));
      return c.body(new Uint8Array(body), 200, {
        "content-type": JS,
        "cache-control": "public, max-age=86400",
      });
    }
    if (!Object.hasOwn(PAGE_ASSETS, name)) return c.notFound();
    const body = await file(name, join(assetsDir(), name));
    return c.body(new Uint8Array(body), 200, {
      "content-type": PAGE_ASSETS[name as PageAsset],
      "cache-control": "public, max-age=300",
    });
  });
}
