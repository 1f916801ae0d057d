// The local server's JavaScript: what `npm run serve` and `npm start` run with plain node.
// tsx compiles on the fly, every start and with esbuild's keepNames (a defineProperty call for
// each named closure, each time one is made); production runs this build instead.
//
// Each source file of api/, simulator/ and notebooks/ becomes one file under dist/ at the same
// relative path, its `./x.ts` imports rewritten to `./x.js` and packages left to node_modules.
// Keeping the tree (rather than one bundle) keeps the paths modules find beside themselves
// (import.meta.url: the live page's files, the province outlines) one copy away; the copies are
// made here. Type checking stays with `npm run check`; esbuild only strips types, in well under a
// second, so every start can build.
//
// CLI: tsx infra/node-build.ts [outdir]   (default dist/)
import { cpSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The folders whose modules the local server and the demo are made of. */
const SOURCES = ["api", "simulator", "notebooks"];
/** Files the built modules read beside themselves at run time (see the header). */
const COPIED = ["api/live/page", "assets"];

/** Every TypeScript module under a folder (declaration files aside). */
function modulesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter(
      (entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"),
    )
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Relative imports stay imports (of the built sibling), so each source file is its own output. */
const keepRelativeImports: Plugin = {
  name: "keep-relative-imports",
  setup(builder) {
    builder.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === "entry-point"
        ? undefined
        : { path: args.path.replace(/\.ts$/, ".js"), external: true },
    );
  },
};

export async function buildNode(outdir = join(ROOT, "dist")): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: SOURCES.flatMap(modulesUnder),
    outbase: ROOT,
    outdir,
    bundle: true,
    packages: "external",
    plugins: [keepRelativeImports],
    platform: "node",
    target: "node20.19",
    format: "esm",
    sourcemap: "linked",
    logLevel: "warning",
  });
  for (const path of COPIED) cpSync(join(ROOT, path), join(outdir, path), { recursive: true });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(process.argv[2] ?? join(ROOT, "dist"));
  await buildNode(outdir);
}
