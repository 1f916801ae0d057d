// The registry's DynamoDB table in the synthesized template: on demand, point-in-time recovery,
// retained, and the function's IAM limited to that table's item actions.
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { configFromContext } from "../../infra/config.ts";
import { GustStack } from "../../infra/gust-stack.ts";
import { REGISTRY_ITEM_ACTIONS, REGISTRY_READ_ACTIONS } from "../../infra/registry-table.ts";

let template: Template;
beforeAll(() => {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  template = Template.fromStack(
    new GustStack(app, "Gust", { config: configFromContext(app.node) }),
  );
}, 120_000);

describe("the registry table", () => {
  it("is one on-demand table keyed by turbine_id, with point-in-time recovery, retained", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "turbine_id", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "turbine_id", AttributeType: "S" }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  it("gives its name to the function and lets it do only item actions on that table", () => {
    const [tableId] = Object.keys(
      template.findResources("AWS::DynamoDB::Table", {
        Properties: { KeySchema: [{ AttributeName: "turbine_id", KeyType: "HASH" }] },
      }),
    );
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ REGISTRY_TABLE: { Ref: tableId } }) },
    });
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (policy: any) => policy.Properties.PolicyDocument.Statement,
    );
    const dynamo = statements.filter((s: any) =>
      JSON.stringify(s.Resource).includes(`"${tableId}"`),
    );
    // The API function's, and the scheduled alarm evaluation's (it only reads).
    expect(dynamo.map((s: any) => [s.Action].flat().sort())).toEqual([
      [...REGISTRY_ITEM_ACTIONS].sort(),
      [...REGISTRY_READ_ACTIONS].sort(),
    ]);
    for (const statement of dynamo) {
      expect(statement.Resource).toEqual({ "Fn::GetAtt": [tableId, "Arn"] });
    }
    expect(JSON.stringify(dynamo)).not.toMatch(/dynamodb:\*|DeleteTable|CreateTable|"\*"/);
  });
});
