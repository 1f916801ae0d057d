// The Lambda code assets, built by infra/lambda-bundle.ts for one store: the API function's
// (index.mjs, with the docs assets) and the scheduled alarm evaluation's (schedule.mjs), from the
// same sources, with the same build settings that `npm run bench -- lambda` measures.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AssetHashType, DockerImage } from "aws-cdk-lib";
import { Code } from "aws-cdk-lib/aws-lambda";
import type { BundledStore, LambdaEntryName } from "./lambda-bundle.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BUNDLER = join(ROOT, "infra/lambda-bundle.ts");

export function bundledCode(store: BundledStore, name: LambdaEntryName = "index"): Code {
  return Code.fromAsset(join(ROOT, "api"), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Part of CDK's cache key for the bundled asset (the functions below are not): without
      // it, both functions' assets, from the same source folder, would be one and the same.
      environment: { GUST_LAMBDA_ENTRY: name, GUST_BUNDLED_STORE: store },
      // Used only if local bundling fails; the build needs nothing but Node and esbuild.
      image: DockerImage.fromRegistry("public.ecr.aws/sam/build-nodejs22.x"),
      local: {
        tryBundle(outputDir: string) {
          const built = spawnSync(
            process.execPath,
            ["--import", "tsx", BUNDLER, outputDir, store, name],
            { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
          );
          return built.status === 0;
        },
      },
    },
  });
}
