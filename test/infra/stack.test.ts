// The synthesized CloudFormation template: every property the deployment relies on.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { MemoryRegistry } from "../../api/registry/memory-registry.ts";
import type { ReadingStore } from "../../api/store/port.ts";
import { configFromContext } from "../../infra/config.ts";
import { API_ROUTES, GustStack, LAMBDA_UNROUTED } from "../../infra/gust-stack.ts";

/**
 * The Lambda's JavaScript (index.mjs and its chunks; minified ESM, AWS SDK bundled) must stay
 * small for cold starts (its current size: docs/performance.md); undici, zod's locales or the
 * SDK's browser and event-stream modules sneaking back in would add 50-500 KiB. The IoT data
 * plane client that answers IoT Core publishes (api/mqtt/iot-answers.ts) is a chunk of its own,
 * loaded by the first rule event only, so a cold HTTP start does not read it.
 */
const BUNDLE_BUDGET_BYTES = 660 * 1024;

/** A synthesized stack; only `bundle` runs the Lambda bundling (it takes seconds). */
function synth(context: Record<string, unknown> = {}, { bundle = false, nag = false } = {}) {
  const app = new App({
    context: { ...context, ...(bundle ? {} : { "aws:cdk:bundling-stacks": [] }) },
  });
  const stack = new GustStack(app, "Gust", { config: configFromContext(app.node) });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { template: Template.fromStack(stack), assembly: app.synth() };
}

let template: Template;
let outdir: string;
beforeAll(() => {
  const synthesized = synth(
    { "gust:throttleRateLimit": 250, "gust:throttleBurstLimit": 400 },
    { bundle: true, nag: true },
  );
  template = synthesized.template;
  outdir = synthesized.assembly.directory;
}, 120_000);

describe("cdk-nag (AwsSolutions and Serverless packs)", () => {
  it("finds nothing that is not fixed or acknowledged with a written reason", () => {
    // app.synth() above throws on an unacknowledged error; warnings only show in the report.
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8"));
    const packs = report.pluginReports.map((r: any) => r.pluginName).sort();
    expect(packs).toEqual(expect.arrayContaining(["AwsSolutions", "Serverless"]));
    for (const plugin of report.pluginReports) {
      expect({ plugin: plugin.pluginName, violations: plugin.violations }).toEqual({
        plugin: plugin.pluginName,
        violations: [],
      });
      for (const suppressed of plugin.suppressedViolations ?? [])
        expect(suppressed.reason?.length ?? 0).toBeGreaterThan(40);
    }
    const suppressed = report.pluginReports.flatMap((r: any) =>
      (r.suppressedViolations ?? []).map((v: any) => v.ruleName),
    );
    // The known, reasoned exceptions, and no others.
    expect([...new Set(suppressed)].sort()).toEqual([
      "AwsSolutions-APIG4",
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      "AwsSolutions-IAM5[Resource::*]",
      "AwsSolutions-IAM5[Resource::<MqttFailedDeliveriesBED6AB24.Arn>/*]", // infra/mqtt-ingest.ts
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/gust/v1/turbines/*/answers]", // infra/mqtt-ingest.ts
      "AwsSolutions-L1",
      "AwsSolutions-S1", // infra/mqtt-ingest.ts
      "AwsSolutions-SMG4",
      "AwsSolutions-SQS3", // infra/mqtt-ingest.ts
      "AwsSolutions-TS3",
      "Serverless-EventBusDLQ",
      "Serverless-LambdaAsyncFailureDestination",
      "Serverless-LambdaDLQ",
      "Serverless-LambdaLatestVersion",
      "Serverless-LambdaTracing",
      "Serverless-SQSRedrivePolicy", // infra/mqtt-ingest.ts
      "W3697", // CloudFormation's own check: Timestream in maintenance mode
    ]);
  });
});

describe("Timestream", () => {
  it("creates the database and table, retained, with magnetic-store writes off", () => {
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
          MemoryStoreRetentionPeriodInHours: "168",
          MagneticStoreRetentionPeriodInDays: "3650",
        },
        // A late conflicting write would be answered success and dropped later (no rejected-data
        // location), and be invisible to the duplicate lookup for hours: kept out instead.
        MagneticStoreWriteProperties: { EnableMagneticStoreWrites: false },
      },
    });
  });

  it("takes writes on Lambda exactly as far back as the memory store keeps them", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ WRITE_WINDOW_HOURS: "168" }) },
    });
    const shorter = synth({ "gust:memoryRetentionHours": 24 }).template;
    shorter.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ WRITE_WINDOW_HOURS: "24" }) },
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
          LIVE_ASSETS_DIR: "/var/task/live-assets",
        }),
      },
      LoggingConfig: { LogFormat: "JSON" },
    });
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    // Source maps stay as a file in the asset, but are not applied at run time (~60 ms import).
    const fn = Object.values(template.findResources("AWS::Lambda::Function"))[0] as any;
    expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
  });

  it("reserves 50 concurrent executions by default; a number or none from context", () => {
    const unset = synth().template;
    unset.hasResourceProperties("AWS::Lambda::Function", { ReservedConcurrentExecutions: 50 });
    const none = synth({ "gust:reservedConcurrency": "none" }).template;
    const fn = Object.values(none.findResources("AWS::Lambda::Function"))[0] as any;
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    synth({ "gust:reservedConcurrency": 200 }).template.hasResourceProperties(
      "AWS::Lambda::Function",
      { ReservedConcurrentExecutions: 200 },
    );
  });

  it("may write, select and describe its table only, and describe endpoints; nothing wider", () => {
    const policies = template.findResources("AWS::IAM::Policy");
    const statements = Object.values(policies).flatMap(
      (policy: any) => policy.Properties.PolicyDocument.Statement,
    );
    const timestream = statements.filter((s: any) =>
      [s.Action].flat().some((a: string) => a.startsWith("timestream:")),
    );
    // The API function's only: the scheduled alarm evaluation reads no store (last-seen records).
    expect(timestream.map((s: any) => [s.Action].flat().sort())).toEqual([
      ["timestream:DescribeTable", "timestream:Select", "timestream:WriteRecords"],
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

  it("generates the key secret in CloudFormation and keeps it when the stack is deleted", () => {
    template.hasResource("AWS::SecretsManager::Secret", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: { GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true } },
    });
  });

  it("bundles a small ESM handler with the docs assets, and no DuckDB, undici, zod locales, SSM client or browser code", () => {
    const asset = readdirSync(outdir).find(
      (name) => name.startsWith("asset.") && existsSync(join(outdir, name, "index.mjs")),
    );
    expect(asset).toBeDefined();
    const dir = join(outdir, asset as string);
    const scripts = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((name) =>
      name.endsWith(".mjs"),
    );
    expect(scripts).toContain("index.mjs");
    const bytes = scripts.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    expect(bytes).toBeLessThan(BUNDLE_BUDGET_BYTES);
    expect(readdirSync(join(dir, "docs-assets")).sort()).toEqual([
      "swagger-ui-bundle.js",
      "swagger-ui.css",
    ]);
    // The live page's files (LIVE_ASSETS_DIR): /live is served by the function too.
    expect(readdirSync(join(dir, "live-assets"))).toEqual(
      expect.arrayContaining([
        "live.html",
        "live.js",
        "charts.js",
        "live.css",
        "nl-provinces-2023.geojson",
        "vega.min.js",
        "vega-lite.min.js",
        "vega-interpreter.js",
        "vega-util.js",
      ]),
    );
    expect(readdirSync(dir).some((name) => name.includes("duckdb"))).toBe(false);
    for (const name of scripts) expect(existsSync(join(dir, `${name}.map`))).toBe(true);
    const code = scripts.map((name) => readFileSync(join(dir, name), "utf8")).join("\n");
    expect(code).not.toContain("undici");
    expect(code).not.toContain("Ungültige Eingabe"); // zod's German locale
    expect(code).not.toContain("Opera Touch"); // bowser, the browser user-agent parser
    expect(code).not.toContain(":message-type"); // the SDK's event-stream codec
    expect(code).toContain("is left out of the Lambda bundle"); // the stand-ins, instead
    expect(code).not.toContain("GetParameterCommand"); // the SSM client
  });
});

describe("the scheduled alarm evaluation's asset", () => {
  it("is its own, built from the schedule entry, apart from the API's", () => {
    const functions = template.findResources("AWS::Lambda::Function");
    const keyOf = (handler: string) =>
      (Object.values(functions).find((f: any) => f.Properties.Handler === handler) as any)
        .Properties.Code.S3Key as string;
    const api = keyOf("index.handler");
    const schedule = keyOf("schedule.handler");
    expect(schedule).not.toBe(api);
    const dir = join(outdir, `asset.${schedule.replace(/\.zip$/, "")}`);
    expect(existsSync(join(dir, "schedule.mjs"))).toBe(true);
    expect(existsSync(join(dir, "index.mjs"))).toBe(false);
    expect(existsSync(join(outdir, `asset.${api.replace(/\.zip$/, "")}`, "index.mjs"))).toBe(true);
  });
});

describe("the HTTP API", () => {
  it("routes every documented operation of the app, but the local-only ones, to the function", async () => {
    const app = createApp({
      store: { kind: "timestream", tableRef: "t" } as unknown as ReadingStore,
      registry: new MemoryRegistry(),
      keySecret: async () => "x".repeat(32),
    } as never);
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const pages = ["GET /docs", "GET /docs/{asset}", "GET /live", "GET /live/{asset}"];
    const served = [...documented, "GET /openapi.json", ...pages]
      .filter((route) => !LAMBDA_UNROUTED.includes(route))
      .sort();
    expect(API_ROUTES.map(([method, path]) => `${method} ${path}`).sort()).toEqual(served);
    const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route"))
      .map((r: any) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual(served);
  });

  it("throttles the default stage with both rate and burst, and logs access", () => {
    template.resourceCountIs("AWS::ApiGatewayV2::Stage", 1);
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 250, ThrottlingBurstLimit: 400 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
    const stage = Object.values(template.findResources("AWS::ApiGatewayV2::Stage"))[0] as any;
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: "$context.requestId",
      routeKey: "$context.routeKey",
      status: "$context.status",
      integrationErrorMessage: "$context.integrationErrorMessage",
    });
  });

  it("has CORS off unless origins are configured", () => {
    const api = Object.values(template.findResources("AWS::ApiGatewayV2::Api"))[0] as any;
    expect(api.Properties.CorsConfiguration).toBeUndefined();
    const withCors = synth({ "gust:corsOrigins": "https://dash.example.org" }).template;
    withCors.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: {
        AllowOrigins: ["https://dash.example.org"],
        // Every method a browser client uses (registry edits, key rotation, reads), If-Match
        // for conditional edits, and the answers' ETag and Retry-After readable by the page.
        AllowMethods: ["GET", "POST", "PUT", "DELETE"],
        AllowHeaders: Match.arrayWith(["authorization", "content-type", "if-match"]),
        ExposeHeaders: Match.arrayWith(["etag", "retry-after"]),
        MaxAge: 86_400,
      },
    });
  });

  it("outputs the URL, the table, the secret name and the alarm topic", () => {
    const outputs = Object.keys(template.findOutputs("*"));
    expect(outputs).toEqual(
      expect.arrayContaining(["ApiUrl", "TimestreamTable", "ApiKeySecretName", "AlarmTopicArn"]),
    );
  });

  it("alarms on the stage's 5xx (the app's own 500s and 503s), errors and throttles, to the topic", () => {
    const topic = Object.keys(template.findResources("AWS::SNS::Topic"));
    expect(topic).toHaveLength(1);
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")) as any[];
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual([
      "5xx",
      "Errors",
      "Errors", // the scheduled alarm evaluation's: alarms not evaluated reach someone too
      "Invocations", // heartbeat: the schedule has not run
      "Throttles",
      "TurbinesReporting", // heartbeat: no turbine has sent a reading
    ]);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic[0] }]);
    // Errors page when they last (two minutes of three), never for one transient 503.
    for (const alarm of alarms.filter((a) => a.Properties.ComparisonOperator.startsWith("Greater")))
      expect(alarm.Properties).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    // Heartbeats: silence breaches.
    for (const alarm of alarms.filter(
      (a) => a.Properties.ComparisonOperator === "LessThanThreshold",
    ))
      expect(alarm.Properties.TreatMissingData).toBe("breaching");
    template.hasResourceProperties("AWS::Logs::MetricFilter", {
      FilterPattern: '{ $.message = "gust: alarms evaluated" }',
      MetricTransformations: [
        Match.objectLike({ MetricName: "TurbinesReporting", MetricValue: "$.reporting" }),
      ],
    });
    const fiveXx = alarms.find((a) => a.Properties.MetricName === "5xx");
    expect(fiveXx.Properties).toMatchObject({ Namespace: "AWS/ApiGateway", Statistic: "Sum" });
    expect(fiveXx.Properties.Dimensions).toEqual(
      expect.arrayContaining([{ Name: "Stage", Value: "$default" }]),
    );
  });

  it("subscribes gust:alarmEmail to the alarm topic, and refuses what is not an address", () => {
    template.resourceCountIs("AWS::SNS::Subscription", 0);
    const withEmail = synth({ "gust:alarmEmail": "ops@example.com" }).template;
    withEmail.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
      TopicArn: { Ref: Match.stringLikeRegexp("AlarmTopic") },
    });
    expect(() => synth({ "gust:alarmEmail": "ops" })).toThrow(/must be an e-mail address/);
  });

  it("sets provisioned concurrency on an alias when asked", () => {
    const provisioned = synth({ "gust:provisionedConcurrency": 2 }).template;
    provisioned.hasResourceProperties("AWS::Lambda::Alias", {
      Name: "live",
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
  });
});
