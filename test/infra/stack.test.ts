// The synthesized CloudFormation template: every property the deployment relies on.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { configFromContext } from "../../infra/config.ts";
import { GustStack } from "../../infra/gust-stack.ts";

/** The Lambda bundle (minified ESM, AWS SDK from the runtime) must stay small for cold starts. */
const BUNDLE_BUDGET_BYTES = 1024 * 1024;

function synth(context: Record<string, unknown> = {}) {
  const app = new App({ context });
  const stack = new GustStack(app, "Gust", { config: configFromContext(app.node) });
  return { template: Template.fromStack(stack), assembly: app.synth() };
}

let template: Template;
let outdir: string;
beforeAll(() => {
  const synthesized = synth({
    "gust:throttleRateLimit": 250,
    "gust:throttleBurstLimit": 400,
    "gust:reservedConcurrency": 50,
  });
  template = synthesized.template;
  outdir = synthesized.assembly.directory;
});

describe("Timestream", () => {
  it("creates the database and table, retained, with retention and magnetic writes", () => {
    template.hasResource("AWS::Timestream::Database", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: { DatabaseName: "gust" },
    });
    template.hasResource("AWS::Timestream::Table", {
      DeletionPolicy: "Retain",
      Properties: {
        DatabaseName: "gust",
        TableName: "readings",
        RetentionProperties: {
          MemoryStoreRetentionPeriodInHours: "24",
          MagneticStoreRetentionPeriodInDays: "3650",
        },
        MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
      },
    });
  });

  it("uses an existing database and table by name without creating them", () => {
    const existing = synth({
      "gust:existingDatabase": "fleet",
      "gust:existingTable": "telemetry",
    }).template;
    existing.resourceCountIs("AWS::Timestream::Database", 0);
    existing.resourceCountIs("AWS::Timestream::Table", 0);
    existing.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          TIMESTREAM_DATABASE: "fleet",
          TIMESTREAM_TABLE: "telemetry",
        }),
      },
    });
  });

  it("takes retention from context", () => {
    const custom = synth({
      "gust:memoryRetentionHours": 12,
      "gust:magneticRetentionDays": 400,
    }).template;
    custom.hasResourceProperties("AWS::Timestream::Table", {
      RetentionProperties: {
        MemoryStoreRetentionPeriodInHours: "12",
        MagneticStoreRetentionPeriodInDays: "400",
      },
    });
  });
});

describe("the API function", () => {
  it("is Node 22 on arm64 with the Timestream store, the secret's ARN and docs assets", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      MemorySize: 1024,
      Timeout: 15,
      ReservedConcurrentExecutions: 50,
      Environment: {
        Variables: Match.objectLike({
          STORE: "timestream",
          TIMESTREAM_DATABASE: "gust",
          TIMESTREAM_TABLE: "readings",
          API_KEY_SECRET_ARN: { Ref: Match.stringLikeRegexp("ApiKeySecret") },
          DOCS_ASSETS_DIR: "/var/task/docs-assets",
          NODE_OPTIONS: "--enable-source-maps",
        }),
      },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("may write and select on its table only, and describe endpoints; nothing wider", () => {
    const policies = template.findResources("AWS::IAM::Policy");
    const statements = Object.values(policies).flatMap(
      (policy: any) => policy.Properties.PolicyDocument.Statement,
    );
    const timestream = statements.filter((s: any) =>
      [s.Action].flat().some((a: string) => a.startsWith("timestream:")),
    );
    expect(timestream.map((s: any) => [s.Action].flat().sort())).toEqual([
      ["timestream:Select", "timestream:WriteRecords"],
      ["timestream:DescribeEndpoints"],
    ]);
    expect(JSON.stringify(timestream[0].Resource)).toContain(":database/gust/table/readings");
    expect(timestream[1].Resource).toBe("*");
    expect(JSON.stringify(statements)).not.toMatch(/timestream:\*|"\*:\*"|"Action":"\*"/);
    const secretRead = statements.find((s: any) =>
      [s.Action].flat().includes("secretsmanager:GetSecretValue"),
    );
    expect(secretRead.Resource.Ref).toMatch(/^ApiKeySecret/);
  });

  it("generates the key secret in CloudFormation", () => {
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
  });

  it("bundles a small ESM handler with the docs assets, and no DuckDB", () => {
    const asset = readdirSync(outdir).find(
      (name) => name.startsWith("asset.") && existsSync(join(outdir, name, "index.mjs")),
    );
    expect(asset).toBeDefined();
    const dir = join(outdir, asset as string);
    expect(statSync(join(dir, "index.mjs")).size).toBeLessThan(BUNDLE_BUDGET_BYTES);
    expect(readdirSync(join(dir, "docs-assets")).sort()).toEqual([
      "swagger-ui-bundle.js",
      "swagger-ui.css",
    ]);
    expect(readdirSync(dir).some((name) => name.includes("duckdb"))).toBe(false);
  });
});

describe("the HTTP API", () => {
  it("routes exactly the app's routes to the function", () => {
    const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route"))
      .map((r: any) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual([
      "GET /docs",
      "GET /docs/{asset}",
      "GET /healthz",
      "GET /openapi.json",
      "GET /v1/power",
      "GET /v1/turbines/{turbine_id}/measurements",
      "POST /v1/measurements",
    ]);
  });

  it("throttles the default stage with both rate and burst, and logs access", () => {
    template.resourceCountIs("AWS::ApiGatewayV2::Stage", 1);
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 250, ThrottlingBurstLimit: 400 },
      AccessLogSettings: { DestinationArn: Match.anyValue() },
    });
  });

  it("has CORS off unless origins are configured", () => {
    const api = Object.values(template.findResources("AWS::ApiGatewayV2::Api"))[0] as any;
    expect(api.Properties.CorsConfiguration).toBeUndefined();
    const withCors = synth({ "gust:corsOrigins": "https://dash.example.org" }).template;
    withCors.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: { AllowOrigins: ["https://dash.example.org"] },
    });
  });

  it("outputs the URL, the table and the secret name, and alarms on errors and throttles", () => {
    const outputs = Object.keys(template.findOutputs("*"));
    expect(outputs).toEqual(
      expect.arrayContaining(["ApiUrl", "TimestreamTable", "ApiKeySecretName"]),
    );
    template.resourceCountIs("AWS::CloudWatch::Alarm", 2);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "Throttles" });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "Errors" });
  });

  it("sets provisioned concurrency on an alias when asked", () => {
    const provisioned = synth({ "gust:provisionedConcurrency": 2 }).template;
    provisioned.hasResourceProperties("AWS::Lambda::Alias", {
      Name: "live",
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
  });
});
