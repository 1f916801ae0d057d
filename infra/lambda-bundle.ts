// The Lambda asset, built one way for the stack and the benchmark alike: `npm run bench -- lambda`
// measures exactly what `cdk deploy` uploads (the stack runs this file as its local bundling).
//
//   - every module bundled, the AWS SDK included (CDK's bundleAwsSDK: true): the SDK version is
//     the one in package-lock.json, not whatever the runtime ships that month;
//   - ESM builds of dependencies first (mainFields module,main): the SDK's CommonJS builds are
//     larger and import ~30 % slower;
//   - split into chunks (index.mjs plus chunks/*.mjs): a module behind a dynamic import() (the
//     store, the secret client) is a file of its own, loaded when imported. Without splitting,
//     esbuild wraps every module reachable from a dynamic import in a lazy-init closure, which V8
//     parses twice (pre-parse, then full parse on the call): 508 closures, ~10 % of a cold start;
//   - one store and one secret client: GUST_BUNDLED_STORE / GUST_BUNDLED_SECRET are defined at
//     build time, so the other store's module (and undici), and the SSM client, are left out;
//   - the SDK's credential chain reduced to the environment (infra/lambda-credentials.ts);
//   - left out (see LEFT_OUT): zod's 60-odd locale files (only English messages are used; 258
//     KiB), zod's ahead-of-time compiler and JSON Schema importer (nothing calls them; 41 KiB),
//     and the SDK's browser user-agent parser and event-stream codec (no browser, and no
//     operation gust sends streams events; 49 KiB);
//   - minified, with a source map file beside it for debugging, but no --enable-source-maps at
//     run time (it costs ~60 ms of import on a cold start).
//
// CLI: tsx infra/lambda-bundle.ts <outdir> [timestream|influxdb] [index|schedule]
// (schedule: the scheduled alarm evaluation's function, api/lambda-schedule.ts, schedule.mjs)
import { cpSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";
import { LIVE_VENDOR_ASSETS, vendorAssetPath } from "../api/routes/live-page.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const LAMBDA_ENTRY = join(ROOT, "api/lambda.ts");
export const DOCS_ASSETS = ["swagger-ui.css", "swagger-ui-bundle.js"];
export type BundledStore = "timestream" | "influxdb";

/**
 * Modules the Lambda never runs, each replaced by a stand-in with the same exports. A stand-in's
 * function or class throws, saying so, if something ever calls it after all; a build against a
 * dependency whose module lost one of these exports fails (esbuild checks named imports).
 */
const LEFT_OUT: { module: RegExp; exports: string }[] = [
  // zod's `locales` namespace (every language); English is imported apart.
  { module: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/, exports: "" },
  // zod's opt-in ahead-of-time compiler (`z.compile`, `import "zod/compile"`); parsing never
  // imports it.
  {
    module: /[\\/]zod[\\/]v4[\\/]core[\\/]compile\.js$/,
    exports: `export const INVALID = Symbol.for("zod.compile.invalid");
      export class ZodCompileAsyncError extends Error {}
      export class ZodCompileUnsupportedError extends Error {}
      export const compile = leftOut("z.compile"), withParser = leftOut("z.withParser"),
        compileFn = leftOut("compileFn");`,
  },
  // z.fromJSONSchema: JSON Schema to zod; gust goes the other way only (the OpenAPI document).
  {
    module: /[\\/]zod[\\/]v4[\\/]classic[\\/]from-json-schema\.js$/,
    exports: `export const fromJSONSchema = leftOut("z.fromJSONSchema");`,
  },
  // The browser user-agent parser, imported only where `window` exists.
  {
    module: /[\\/]bowser[\\/]bowser\.mjs$/,
    exports: `export const parse = leftOut("bowser"), getParser = parse; export default { parse };`,
  },
  // The event-stream codec, imported only by operations that stream events: none that gust
  // sends (Timestream, DynamoDB, Secrets Manager).
  {
    module: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]event-streams[\\/]index\.js$/,
    exports: `export const EventStreamSerde = leftOut("the event-stream codec"),
      eventStreamSerdeProvider = EventStreamSerde;`,
  },
];

const leftOutModules: Plugin = {
  name: "left-out-modules",
  setup(builder) {
    const filter = new RegExp(LEFT_OUT.map((entry) => entry.module.source).join("|"));
    builder.onLoad({ filter }, (args) => {
      const stand = LEFT_OUT.find((entry) => entry.module.test(args.path));
      if (!stand) return undefined;
      const leftOut = `function leftOut(what) { return function () { throw new Error(what +
        " is left out of the Lambda bundle (infra/lambda-bundle.ts, LEFT_OUT)"); }; }`;
      return { contents: `${stand.exports ? leftOut : ""}\n${stand.exports || "export {};"}` };
    });
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
  /** The handler file (index.mjs). */
  file: string;
  /** Every JavaScript file of the asset (index.mjs and its chunks): what Lambda may load. */
  bytes: number;
  metafile: Metafile;
}

/** The entry points an asset can be built for: the API, and the scheduled alarm evaluation. */
export const LAMBDA_ENTRIES = {
  index: LAMBDA_ENTRY,
  schedule: join(ROOT, "api/lambda-schedule.ts"),
} as const;
export type LambdaEntryName = keyof typeof LAMBDA_ENTRIES;

/**
 * Builds `entry` (the API handler unless told) into `outdir`/<name>.mjs (index.mjs unless told),
 * with docs assets.
 */
export async function bundleLambda(
  outdir: string,
  options: {
    store?: BundledStore;
    entry?: string;
    name?: LambdaEntryName;
    docsAssets?: boolean;
  } = {},
): Promise<LambdaBundle> {
  mkdirSync(outdir, { recursive: true });
  const name = options.name ?? "index";
  const result = await build({
    entryPoints: [{ in: options.entry ?? LAMBDA_ENTRIES[name], out: name }],
    outdir,
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
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
    plugins: [leftOutModules, environmentCredentialsOnly],
  });
  if (options.docsAssets ?? true) {
    // The docs page's assets travel in the asset: /docs must work without a CDN.
    const swaggerUiDist = dirname(
      createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"),
    );
    mkdirSync(join(outdir, "docs-assets"), { recursive: true });
    for (const asset of DOCS_ASSETS)
      cpSync(join(swaggerUiDist, asset), join(outdir, "docs-assets", asset));
    // And the live page's (GET /live polls the snapshot on Lambda): LIVE_ASSETS_DIR.
    cpSync(join(ROOT, "api/live/page"), join(outdir, "live-assets"), { recursive: true });
    // With the chart library it draws with (Vega-Lite, Vega, Vega's expression interpreter).
    for (const asset of Object.keys(LIVE_VENDOR_ASSETS) as (keyof typeof LIVE_VENDOR_ASSETS)[])
      cpSync(vendorAssetPath(asset), join(outdir, "live-assets", asset));
  }
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([name]) => name.endsWith(".mjs"))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
  return { file: join(outdir, `${name}.mjs`), bytes, metafile: result.metafile };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outdir, store, name] = process.argv.slice(2);
  if (!outdir) {
    throw new Error(
      "usage: tsx infra/lambda-bundle.ts <outdir> [timestream|influxdb] [index|schedule]",
    );
  }
  const bundle = await bundleLambda(resolve(outdir), {
    store: store as BundledStore | undefined,
    name: (name ?? "index") as LambdaEntryName,
    docsAssets: (name ?? "index") === "index",
  });
  console.log(`lambda bundle: ${(bundle.bytes / 1024).toFixed(0)} KiB (${bundle.file})`);
}
