// AWS IoT Core in the synthesized template (infra/mqtt-ingest.ts): a thing publishes only on its
// own topic, the topic rule invokes the ingest function with the turbine id from the topic, and
// what fails to be delivered is kept.
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, expect, it } from "vitest";
import { configFromContext } from "../../infra/config.ts";
import { GustStack } from "../../infra/gust-stack.ts";

let template: Template;
beforeAll(() => {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  template = Template.fromStack(
    new GustStack(app, "Gust", { config: configFromContext(app.node) }),
  );
}, 120_000);

const THING = "${iot:Connection.Thing.ThingName}";
const join = (value: unknown) => JSON.stringify(value);

it("lets a thing connect as itself and publish only on its own readings topics", () => {
  const [policy] = Object.values(template.findResources("AWS::IoT::Policy")) as any[];
  const statements = policy.Properties.PolicyDocument.Statement;
  const publish = statements.find((s: any) => s.Action === "iot:Publish");
  expect(join(publish.Resource)).toContain(`topic/gust/v1/turbines/${THING}/readings`);
  expect(join(publish.Resource)).toContain(`topic/gust/v1/turbines/${THING}/readings/gzip`);
  expect(join(publish.Resource)).not.toContain("+");
  const connect = statements.find((s: any) => s.Action === "iot:Connect");
  expect(join(connect.Resource)).toContain(`client/${THING}`);
  expect(
    statements.every((s: any) => s.Effect === "Allow" && !join(s.Resource).includes("*")),
  ).toBe(true);
});

it("invokes the ingest function with the payload, topic and turbine id, errors to a retained bucket", () => {
  const [rule] = Object.values(template.findResources("AWS::IoT::TopicRule")) as any[];
  const payload = rule.Properties.TopicRulePayload;
  expect(payload.Sql).toContain("encode(*, 'base64') AS payload");
  expect(payload.Sql).toContain("topic(4) AS turbine_id");
  expect(payload.Sql).toContain("FROM 'gust/v1/turbines/+/readings/#'");
  const [apiFunction] = Object.keys(
    template.findResources("AWS::Lambda::Function", { Properties: { Handler: "index.handler" } }),
  );
  expect(join(payload.Actions[0].Lambda.FunctionArn)).toContain(apiFunction as string);
  const bucket = payload.ErrorAction.S3.BucketName.Ref;
  template.hasResource("AWS::S3::Bucket", {
    DeletionPolicy: "Retain",
    Properties: Match.objectLike({ VersioningConfiguration: { Status: "Enabled" } }),
  });
  expect(Object.keys(template.findResources("AWS::S3::Bucket"))).toContain(bucket);
  template.hasResourceProperties("AWS::Lambda::Permission", {
    Principal: "iot.amazonaws.com",
    SourceArn: Match.anyValue(),
  });
});

it("keeps a message the function fails on twice in a retained queue", () => {
  template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
    MaximumRetryAttempts: 2,
    DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
  });
  template.hasResource("AWS::SQS::Queue", {
    DeletionPolicy: "Retain",
    Properties: Match.objectLike({ MessageRetentionPeriod: 1_209_600 }),
  });
});

it("lets the ingest function publish answers on the answers topics only, at the account's endpoint", () => {
  const [apiFunction] = Object.entries(
    template.findResources("AWS::Lambda::Function", { Properties: { Handler: "index.handler" } }),
  ) as [string, any][];
  const env = apiFunction?.[1].Properties.Environment.Variables;
  // The endpoint DescribeEndpoint answers at deploy time (a custom resource's response field).
  expect(join(env.IOT_DATA_ENDPOINT)).toContain("endpointAddress");
  template.hasResourceProperties("Custom::AWS", {
    Create: Match.stringLikeRegexp("describeEndpoint.*iot:Data-ATS"),
  });
  const publishes = Object.values(template.findResources("AWS::IAM::Policy")).flatMap((p: any) =>
    p.Properties.PolicyDocument.Statement.filter((s: any) =>
      [s.Action].flat().includes("iot:Publish"),
    ),
  );
  expect(publishes).toHaveLength(1);
  expect(publishes[0].Action).toBe("iot:Publish");
  expect(join(publishes[0].Resource)).toContain(":topic/gust/v1/turbines/*/answers");
  expect(join(publishes[0].Resource)).not.toContain("readings");
});
