// A DynamoDB table of the operator's own records (the fleet registry, the alarms): on demand,
// point-in-time recovery, encrypted with the AWS-managed key, kept when the stack is deleted;
// and the one way a function is given its name and item actions on it, on that table only.
import { RemovalPolicy } from "aws-cdk-lib";
import {
  AttributeType,
  BillingMode,
  Table,
  TableEncryption,
  type TableProps,
} from "aws-cdk-lib/aws-dynamodb";
import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";

export function operatorTable(
  scope: Construct,
  keys: { partition: string; sort?: string },
  more: Pick<TableProps, "timeToLiveAttribute"> = {},
): Table {
  return new Table(scope, "Table", {
    partitionKey: { name: keys.partition, type: AttributeType.STRING },
    ...(keys.sort ? { sortKey: { name: keys.sort, type: AttributeType.STRING } } : {}),
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.RETAIN,
    ...more,
  });
}

/** `fn` gets the table's name in `variable` and `actions` on its items (under `conditions`). */
export function grantItems(
  fn: LambdaFunction,
  table: Table,
  variable: string,
  actions: readonly string[],
  conditions?: Record<string, Record<string, unknown>>,
): void {
  fn.addEnvironment(variable, table.tableName);
  fn.addToRolePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [...actions],
      resources: [table.tableArn],
      ...(conditions ? { conditions } : {}),
    }),
  );
}
