// The alarms on AWS: one DynamoDB table (partition key pk, sort key sk: the item kinds are in
// api/alarms/dynamodb-store.ts), on demand, with point-in-time recovery, encrypted, kept when the
// stack is deleted (alarm history is the operator's record), rejection counters deleted by TTL
// (expires_at). Two grants, each only the item actions its function uses:
//   the API function reads alarms (GET /v1/alarms, the snapshot) and counts rejected readings,
//     whose UpdateItem is limited to the counters' partitions (dynamodb:LeadingKeys);
//   the scheduled evaluation reads, opens and closes alarms and works the webhook outbox
//     (TransactWriteItems is authorized as its PutItem, DeleteItem and UpdateItem).
import { CfnOutput } from "aws-cdk-lib";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { grantItems, operatorTable } from "./operator-table.ts";

export const ALARM_READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:Query"] as const;
/** The API function's one write: the rejection counters (ADD), on their partitions only. */
export const ALARM_COUNT_ACTIONS = ["dynamodb:UpdateItem"] as const;
export const ALARM_WRITE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:DeleteItem",
  "dynamodb:UpdateItem",
] as const;

export class AlarmTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = operatorTable(
      this,
      { partition: "pk", sort: "sk" },
      { timeToLiveAttribute: "expires_at" },
    );
    new CfnOutput(scope, "AlarmTableName", {
      value: this.table.tableName,
      description:
        "The DynamoDB table of alarms and their events (retained when the stack is deleted)",
    });
  }

  /** The API function: ALARM_TABLE, reads, and the rejection counters. */
  attachReader(fn: LambdaFunction): void {
    grantItems(fn, this.table, "ALARM_TABLE", ALARM_READ_ACTIONS);
    grantItems(fn, this.table, "ALARM_TABLE", ALARM_COUNT_ACTIONS, {
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["rejections#*", "seen"] },
    });
  }

  /** The scheduled evaluation: ALARM_TABLE, reads and writes of alarms, events and outbox. */
  attachEvaluator(fn: LambdaFunction): void {
    grantItems(fn, this.table, "ALARM_TABLE", [...ALARM_READ_ACTIONS, ...ALARM_WRITE_ACTIONS]);
  }
}
