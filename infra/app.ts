// The CDK app: `npx cdk synth` (offline, no account needed) and `npx cdk deploy`.
import { App } from "aws-cdk-lib";
import { configFromContext } from "./config.ts";
import { GustStack } from "./gust-stack.ts";

const app = new App();
new GustStack(app, "Gust", {
  config: configFromContext(app.node),
  // Environment-agnostic unless the deploying shell names one: synth needs no account.
  env: process.env.CDK_DEFAULT_ACCOUNT
    ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
    : undefined,
  description: "gust: wind turbine telemetry (API Gateway HTTP API, Lambda, Timestream)",
});
app.synth();
