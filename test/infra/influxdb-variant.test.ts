// -c gust:store=influxdb: the same API against InfluxDB, with no Timestream resources or IAM,
// for an existing endpoint (public over TLS, or inside its VPC) and for a new Timestream for
// InfluxDB instance.
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
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

describe("a new Timestream for InfluxDB instance", () => {
  const template = synth({
    "gust:influxdbCreate": "true",
    "gust:influxdbSubnetIds": ["subnet-aaa", "subnet-bbb"],
    "gust:influxdbSecurityGroupIds": ["sg-123"],
  });

  it("creates a private, retained instance in those subnets, and points the Lambda at it", () => {
    template.hasResource("AWS::Timestream::InfluxDBInstance", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({
        DbInstanceType: "db.influx.medium",
        AllocatedStorage: 20,
        PubliclyAccessible: false,
        VpcSubnetIds: ["subnet-aaa", "subnet-bbb"],
        VpcSecurityGroupIds: ["sg-123"],
        Bucket: "gust",
        Organization: "gust",
        // The admin password comes from a generated secret, never from the template itself.
        Password: Match.objectLike({ "Fn::Join": Match.anyValue() }),
      }),
    });
    const [instanceId] = Object.keys(template.findResources("AWS::Timestream::InfluxDBInstance"));
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          STORE: "influxdb",
          INFLUXDB_URL: {
            "Fn::Join": ["", ["https://", { "Fn::GetAtt": [instanceId, "Endpoint"] }, ":8086"]],
          },
          INFLUXDB_TOKEN_SECRET_ARN: Match.objectLike({ Ref: Match.stringLikeRegexp("ApiToken") }),
        }),
      },
      VpcConfig: { SubnetIds: ["subnet-aaa", "subnet-bbb"], SecurityGroupIds: ["sg-123"] },
    });
    expectNoTimestream(template);
  });
});

describe("context checks", () => {
  it("leaves Timestream as the default store", () => {
    expect(configFromContext(new App().node).influxdb).toBeUndefined();
  });

  it("says what is missing", () => {
    expect(() => config({})).toThrow(/gust:influxdbUrl and gust:influxdbTokenSecretArn/);
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
    expect(() => config({ "gust:influxdbCreate": true })).toThrow(/needs gust:influxdbSubnetIds/);
    expect(() => configFromContext(new App({ context: { "gust:store": "mysql" } }).node)).toThrow(
      /must be "timestream" or "influxdb"/,
    );
  });
});
