// -c gust:store=influxdb: the same API against InfluxDB, with no Timestream resources or IAM,
// for a new InfluxDB 3 cluster on Timestream for InfluxDB (the default: what a new AWS account
// can deploy) and for an existing endpoint (public over TLS, or inside its VPC).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { configFromContext } from "../../infra/config.ts";
import { GustStack } from "../../infra/gust-stack.ts";

const TOKEN_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gust-influx-token-AbCdEf";

function synth(context: Record<string, unknown>): Template {
  const app = new App({ context: { "gust:store": "influxdb", ...context } });
  return Template.fromStack(new GustStack(app, "Gust", { config: configFromContext(app.node) }));
}

function config(context: Record<string, unknown>) {
  return configFromContext(new App({ context: { "gust:store": "influxdb", ...context } }).node);
}

/** Every IAM action the template grants, flattened. */
function actions(template: Template): string[] {
  return Object.values(template.findResources("AWS::IAM::Policy")).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
      Array.isArray(s.Action) ? s.Action : [s.Action],
    ),
  );
}

function apiFunction(template: Template): any {
  return Object.values(template.findResources("AWS::Lambda::Function")).find(
    (fn: any) => fn.Properties.Handler === "index.handler",
  );
}

function expectNoTimestream(template: Template) {
  template.resourceCountIs("AWS::Timestream::Database", 0);
  template.resourceCountIs("AWS::Timestream::Table", 0);
  expect(actions(template).filter((a) => a.startsWith("timestream:"))).toEqual([]);
  expect(Object.keys(template.findOutputs("TimestreamTable"))).toEqual([]);
}

describe("an existing InfluxDB over the internet", () => {
  const template = synth({
    "gust:influxdbUrl": "https://abc123.eu-west-1.timestream-influxdb.amazonaws.com:8086",
    "gust:influxdbTokenSecretArn": TOKEN_ARN,
    "gust:influxdbDatabase": "fleet",
  });

  it("configures the Lambda for STORE=influxdb, outside any VPC", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          STORE: "influxdb",
          INFLUXDB_URL: "https://abc123.eu-west-1.timestream-influxdb.amazonaws.com:8086",
          INFLUXDB_DATABASE: "fleet",
          INFLUXDB_TOKEN_SECRET_ARN: TOKEN_ARN,
        }),
      },
      VpcConfig: Match.absent(),
    });
    const variables = Object.values(template.findResources("AWS::Lambda::Function"))
      .map((fn) => fn.Properties.Environment?.Variables ?? {})
      .find((v) => v.STORE);
    expect(Object.keys(variables).filter((k) => k.startsWith("TIMESTREAM"))).toEqual([]);
  });

  it("creates no Timestream resources and grants no Timestream IAM, only reading the token", () => {
    expectNoTimestream(template);
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Resource: TOKEN_ARN,
          }),
        ]),
      },
    });
    template.resourceCountIs("AWS::Timestream::InfluxDBInstance", 0);
  });
});

describe("an existing InfluxDB inside a VPC", () => {
  const template = synth({
    "gust:influxdbUrl": "http://influx.internal:8086",
    "gust:influxdbTokenSecretArn": TOKEN_ARN,
    "gust:influxdbSubnetIds": "subnet-aaa,subnet-bbb",
    "gust:influxdbSecurityGroupIds": "sg-123",
  });

  it("puts the Lambda in the given subnets with the given security group", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ INFLUXDB_URL: "http://influx.internal:8086" }) },
      VpcConfig: { SubnetIds: ["subnet-aaa", "subnet-bbb"], SecurityGroupIds: ["sg-123"] },
    });
    template.hasResourceProperties("AWS::IAM::Role", {
      ManagedPolicyArns: Match.arrayWith([
        Match.objectLike({
          "Fn::Join": Match.arrayWith([
            Match.arrayWith([":iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]),
          ]),
        }),
      ]),
    });
    expectNoTimestream(template);
  });
});

describe("a new InfluxDB 3 cluster: the default with gust:store=influxdb alone", () => {
  const app = new App({ context: { "gust:store": "influxdb", "aws:cdk:bundling-stacks": [] } });
  const stack = new GustStack(app, "Gust", { config: configFromContext(app.node) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const template = Template.fromStack(stack);

  it("creates InfluxDB 3 Core (not InfluxDB 2), private and retained", () => {
    template.resourceCountIs("AWS::Timestream::InfluxDBInstance", 0);
    template.hasResource("AWS::Timestream::InfluxDBCluster", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        DbParameterGroupIdentifier: "InfluxDBv3Core",
        PubliclyAccessible: false,
        Port: 8086,
      }),
    });
    expectNoTimestream(template);
  });

  it("reads the cluster's own token secret: no empty secret to fill, and no secret of its own", () => {
    const [cluster] = Object.keys(template.findResources("AWS::Timestream::InfluxDBCluster"));
    const api = apiFunction(template);
    expect(api.Properties.Environment.Variables).toMatchObject({
      STORE: "influxdb",
      INFLUXDB_URL: {
        "Fn::Join": ["", ["https://", { "Fn::GetAtt": [cluster, "Endpoint"] }, ":8086"]],
      },
      INFLUXDB_TOKEN_SECRET_ARN: { "Fn::GetAtt": [cluster, "InfluxAuthParametersSecretArn"] },
    });
    // Every secret the stack creates (the key secret) outlives it.
    const secrets = Object.values(template.findResources("AWS::SecretsManager::Secret"));
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(secret.DeletionPolicy).toBe("Retain");
      expect(
        secret.Properties.GenerateSecretString ?? secret.Properties.SecretString,
      ).toBeDefined();
    }
  });

  it("puts the API function in the cluster's VPC with endpoints for Secrets Manager and DynamoDB, no NAT", () => {
    const endpoints = Object.values(template.findResources("AWS::EC2::VPCEndpoint")) as any[];
    const services = endpoints.map((e) => [
      e.Properties.VpcEndpointType ?? "Gateway",
      JSON.stringify(e.Properties.ServiceName),
    ]);
    expect(services).toEqual(
      expect.arrayContaining([
        ["Gateway", expect.stringContaining("dynamodb")],
        ["Interface", expect.stringContaining("secretsmanager")],
      ]),
    );
    template.resourceCountIs("AWS::EC2::NatGateway", 0);
    template.resourceCountIs("AWS::EC2::InternetGateway", 0);
    const api = apiFunction(template);
    expect(api.Properties.VpcConfig.SubnetIds).toHaveLength(2);
    // The alarm schedule reads DynamoDB only: outside the VPC, its webhook reaches the internet.
    const schedule = Object.values(template.findResources("AWS::Lambda::Function")).find(
      (fn: any) => fn.Properties.Handler === "schedule.handler",
    ) as any;
    expect(schedule.Properties.VpcConfig).toBeUndefined();
    expect(JSON.stringify(schedule.Properties.Environment ?? {})).not.toMatch(/INFLUXDB/);
  });

  it("passes cdk-nag with every exception reasoned", () => {
    const report = join(app.synth().directory, "validation-report.json");
    for (const plugin of JSON.parse(readFileSync(report, "utf8")).pluginReports)
      expect(plugin.violations).toEqual([]);
  });
});

describe("context checks", () => {
  it("leaves Timestream as the default store", () => {
    expect(configFromContext(new App().node).influxdb).toBeUndefined();
  });

  it("says what is missing", () => {
    expect(config({}).influxdb?.create).toEqual({ instanceType: "db.influx.medium" });
    expect(() => config({ "gust:influxdbUrl": "https://x" })).toThrow(
      /needs gust:influxdbTokenSecretArn/,
    );
    expect(() =>
      config({
        "gust:influxdbUrl": "http://influx.example.com:8086",
        "gust:influxdbTokenSecretArn": TOKEN_ARN,
      }),
    ).toThrow(/must be https/);
    expect(() =>
      config({
        "gust:influxdbUrl": "https://x",
        "gust:influxdbTokenSecretArn": TOKEN_ARN,
        "gust:influxdbSubnetIds": "subnet-a",
      }),
    ).toThrow(/go together/);
    expect(() =>
      config({ "gust:influxdbSubnetIds": "subnet-a", "gust:influxdbSecurityGroupIds": "sg-1" }),
    ).toThrow(/VPC of the stack's own/);
    expect(() => configFromContext(new App({ context: { "gust:store": "mysql" } }).node)).toThrow(
      /must be "timestream" or "influxdb"/,
    );
  });
});
