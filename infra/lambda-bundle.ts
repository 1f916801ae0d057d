// The Lambda asset, built one way for the stack and the benchmark alike: `npm run bench -- lambda`
// measures exactly what `cdk deploy` uploads (the stack runs this file as its local bundling).
//
//   - every module bundled, the AWS SDK included (CDK's bundleAwsSDK: true): the SDK version is
//     the one in package-lock.json, not whatever the runtime ships that month;
//   - ESM builds of dependencies first (mainFields module,main): the SDK's CommonJS builds are
//     larger and import ~30 % slower;
//   - one store and one secret client: GUST_BUNDLED_STORE / GUST_BUNDLED_SECRET are defined at
//     build time, so the other store's module (and undici), and the SSM client, are left out;
//   - the SDK's credential chain reduced to the environment (infra/lambda-credentials.ts);
//   - zod's 60-odd locale files left out (only English messages are used; 258 KiB);
//   - minified, with a source map file beside it for debugging, but no --enable-source-maps at
//     run time (it costs ~60 ms of import on a cold start).
//
// CLI: tsx infra/lambda-bundle.ts <outdir> [timestream|influxdb]
import { cpSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const LAMBDA_ENTRY = join(ROOT, "api/lambda.ts");
export const DOCS_ASSETS = ["swagger-ui.css", "swagger-ui-bundle.js"];
export type BundledStore = "timestream" | "influxdb";

/** zod's `locales` namespace (every language) as an empty module; English is imported apart. */
const withoutZodLocales: Plugin = {
  name: "without-zod-locales",
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: "zod-locales", namespace: "empty" } : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};" }));
  },
};

/** The SDK's credential chain reduced to the environment, where Lambda puts the role's keys. */
const environmentCredentialsOnly: Plugin = {
  name: "environment-credentials-only",
  setup(builder) {
    builder.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: join(ROOT, "infra/lambda-credentials.ts"),
    }));
  },
};

export interface LambdaBundle {
  /** The handler file (index.mjs) and its size. */
  file: string;
  bytes: number;
  metafile: Metafile;
}

/** Builds `entry` (the API handler unless told) into `outdir`/index.mjs, with docs assets. */
export async function bundleLambda(
  outdir: string,
  options: { store?: BundledStore; entry?: string; docsAssets?: boolean } = {},
): Promise<LambdaBundle> {
  const file = join(outdir, "index.mjs");
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [options.entry ?? LAMBDA_ENTRY],
    outfile: file,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    sourcemap: true,
    mainFields: ["module", "main"],
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
    define: {
      "process.env.GUST_BUNDLED_STORE": JSON.stringify(options.store ?? "timestream"),
      "process.env.GUST_BUNDLED_SECRET": JSON.stringify("secretsmanager"),
    },
    // Some CommonJS dependencies call require(); an ESM bundle has none of its own.
    banner: {
      js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
    },
    plugins: [withoutZodLocales, environmentCredentialsOnly],
  });
  if (options.docsAssets ?? true) {
    // The docs page's assets travel in the asset: /docs must work without a CDN.
    const swaggerUiDist = dirname(
      createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"),
    );
    mkdirSync(join(outdir, "docs-assets"), { recursive: true });
    for (const asset of DOCS_ASSETS)
      cpSync(join(swaggerUiDist, asset), join(outdir, "docs-assets", asset));
  }
  const output =
    result.metafile.outputs[
      Object.keys(result.metafile.outputs).find((name) => name.endsWith("index.mjs")) as string
    ];
  return { file, bytes: output?.bytes ?? 0, metafile: result.metafile };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outdir, store] = process.argv.slice(2);
  if (!outdir) throw new Error("usage: tsx infra/lambda-bundle.ts <outdir> [timestream|influxdb]");
  const bundle = await bundleLambda(resolve(outdir), { store: store as BundledStore | undefined });
  console.log(`lambda bundle: ${(bundle.bytes / 1024).toFixed(0)} KiB (${bundle.file})`);
}
