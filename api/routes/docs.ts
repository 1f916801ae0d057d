// GET /openapi.json and GET /docs: the OpenAPI 3.1 document built from the validating schemas,
// and Swagger UI served from this server's own copy of its assets (no CDN: works offline).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { AppDeps, GustApp } from "./deps.ts";

const DOCS_ASSETS = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
} as const;
type DocsAsset = keyof typeof DOCS_ASSETS;

// Relative URLs, so the page also works under an API Gateway stage path.
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>gust API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    SwaggerUIBundle({ url: "openapi.json", dom_id: "#swagger-ui", validatorUrl: null });
  </script>
</body>
</html>`;

export function registerDocsRoutes(app: GustApp, deps: AppDeps): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "A turbine key (writes and reads that turbine), the operator key (any turbine) or the " +
      "reader key (reads only). Print them with `npm run keys` on the server.",
  });
  // Built at the first request for it and kept: generating it takes ~50 ms, which neither a
  // cold start nor every later request should pay (zod-openapi's doc31 rebuilds it each time).
  let document: unknown;
  app.get("/openapi.json", (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "gust",
        version: "1",
        description:
          "Telemetry for wind turbines: turbines POST readings, analysts read them back. " +
          "Errors are RFC 9457 problem documents (application/problem+json).",
      },
    });
    // The absolute URL it was fetched from first, so that a client generator gets a usable base
    // URL (orval, openapi-fetch); then the relative one, for a copy of the document served elsewhere.
    const servers = [
      { url: new URL(c.req.url).origin, description: "the server that served this document" },
      { url: "/", description: "relative: the server that serves this document" },
    ];
    return c.json({ ...(document as object), servers });
  });

  const assets = new Map<DocsAsset, Promise<Buffer>>();
  // On Lambda the bundle carries its own copy (DOCS_ASSETS_DIR); elsewhere, the installed package.
  const assetsDir = () => deps.docsAssetsDir ?? process.env.DOCS_ASSETS_DIR ?? swaggerUiDistDir();
  app.get("/docs", (c) => c.html(DOCS_PAGE));
  app.get("/docs/:asset", async (c) => {
    const name = c.req.param("asset");
    // Own keys only: `in` would find constructor, __proto__, toString on Object.prototype.
    if (!Object.hasOwn(DOCS_ASSETS, name)) return c.notFound();
    const asset = name as DocsAsset;
    if (!assets.has(asset)) assets.set(asset, readFile(join(assetsDir(), asset)));
    const body = await (assets.get(asset) as Promise<Buffer>);
    return c.body(new Uint8Array(body), 200, {
      "content-type": DOCS_ASSETS[asset],
      "cache-control": "public, max-age=86400",
    });
  });
}

function swaggerUiDistDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("swagger-ui-dist/package.json"));
}
