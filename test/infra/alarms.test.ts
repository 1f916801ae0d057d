// The alarms' AWS side in the synthesized template: their table, the scheduled evaluation's
// function and EventBridge rule, and each function's IAM on the alarm table.
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ALARM_READ_ACTIONS, ALARM_WRITE_ACTIONS } from "../../infra/alarm-table.ts";
import { configFromContext } from "../../infra/config.ts";
import { GustStack } from "../../infra/gust-stack.ts";

function synth(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { ...context, "aws:cdk:bundling-stacks": [] } });
  return Template.fromStack(new GustStack(app, "Gust", { config: configFromContext(app.node) }));
}

let template: Template;
beforeAll(() => {
  template = synth();
}, 120_000);

const statementsOf = (t: Template) =>
  Object.entries(t.findResources("AWS::IAM::Policy")).flatMap(([id, policy]: [string, any]) =>
    policy.Properties.PolicyDocument.Statement.map((s: any) => ({ ...s, policy: id })),
  );
const alarmTableId = (t: Template) =>
  Object.keys(
    t.findResources("AWS::DynamoDB::Table", {
      Properties: { KeySchema: Match.arrayWith([{ AttributeName: "sk", KeyType: "RANGE" }]) },
    }),
  )[0] as string;
const functionId = (t: Template, handler: string) =>
  Object.keys(t.findResources("AWS::Lambda::Function", { Properties: { Handler: handler } }))[0];

describe("the alarm table", () => {
  it("is on demand, keyed by pk and sk, with point-in-time recovery, encryption, TTL, retained", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: "expires_at", Enabled: true },
      },
    });
    expect(Object.keys(template.findOutputs("*"))).toContain("AlarmTableName");
  });
});

describe("the scheduled evaluation", () => {
  it("is a function of its own, from the schedule entry, with both tables and no store", () => {
    const table = alarmTableId(template);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "schedule.handler",
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Timeout: 50,
      Environment: {
        Variables: Match.objectLike({
          ALARM_TABLE: { Ref: table },
          REGISTRY_TABLE: Match.anyValue(),
          STORE: Match.absent(),
          TIMESTREAM_TABLE: Match.absent(),
        }),
      },
    });
    // The API function knows the table too (GET /v1/alarms, the snapshot, rejection counters).
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "index.handler",
      Environment: { Variables: Match.objectLike({ ALARM_TABLE: { Ref: table } }) },
    });
  });

  it("runs every minute from an EventBridge rule, without retries, invoked by that rule only", () => {
    const scheduleFn = functionId(template, "schedule.handler");
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 minute)",
      State: "ENABLED",
      Targets: [
        {
          Arn: { "Fn::GetAtt": [scheduleFn, "Arn"] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        },
      ],
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: scheduleFn },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    const [ruleId] = Object.keys(template.findResources("AWS::Events::Rule"));
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [scheduleFn, "Arn"] },
      SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
    });
  });

  it("grants each function only the item actions it uses on the alarm table", () => {
    const table = alarmTableId(template);
    const onTable = statementsOf(template).filter((s: any) =>
      JSON.stringify(s.Resource).includes(`"${table}"`),
    );
    const scheduleRole = (
      template.findResources("AWS::Lambda::Function")[
        functionId(template, "schedule.handler") as string
      ] as any
    ).Properties.Role["Fn::GetAtt"][0];
    const bySchedule = onTable.filter((s: any) =>
      JSON.stringify(template.findResources("AWS::IAM::Policy")[s.policy]).includes(scheduleRole),
    );
    const byApi = onTable.filter((s: any) => !bySchedule.includes(s));
    expect(bySchedule.map((s: any) => [s.Action].flat().sort())).toEqual([
      [...ALARM_READ_ACTIONS, ...ALARM_WRITE_ACTIONS].sort(),
    ]);
    // The API reads, and may update only the rejection counters' partitions and the turbines'
    // last-seen records.
    expect(byApi.map((s: any) => [[s.Action].flat().sort(), s.Condition ?? null])).toEqual([
      [[...ALARM_READ_ACTIONS].sort(), null],
      [
        ["dynamodb:UpdateItem"],
        { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["rejections#*", "seen"] } },
      ],
    ]);
    for (const s of onTable) expect(s.Resource).toEqual({ "Fn::GetAtt": [table, "Arn"] });
    expect(JSON.stringify(onTable)).not.toMatch(/dynamodb:\*|DeleteTable|Scan|"\*"/);
  });

  it("sends the webhook only when its URL is configured, with a generated, retained secret", () => {
    expect(Object.keys(template.findResources("AWS::SecretsManager::Secret"))).toHaveLength(1);
    const withHook = synth({ "gust:alarmWebhookUrl": "https://ops.example.org/gust" });
    const secrets = withHook.findResources("AWS::SecretsManager::Secret", {
      Properties: { Description: Match.stringLikeRegexp("alarm webhook") },
    });
    const [secretId] = Object.keys(secrets);
    expect(secretId).toBeDefined();
    expect((secrets[secretId as string] as any).DeletionPolicy).toBe("Retain");
    withHook.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "schedule.handler",
      Environment: {
        Variables: Match.objectLike({
          ALARM_WEBHOOK_URL: "https://ops.example.org/gust",
          ALARM_WEBHOOK_SECRET_ARN: { Ref: secretId },
        }),
      },
    });
    expect(Object.keys(withHook.findOutputs("*"))).toContain("AlarmWebhookSecretName");
    expect(() => synth({ "gust:alarmWebhookUrl": "ftp://x" })).toThrow(/http\(s\) URL/);
  });
});
