// The fleet registry on AWS: one DynamoDB table (partition key turbine_id), on demand, with
// point-in-time recovery, kept when the stack is deleted (the fleet's description is the
// operator's data), and a function that may do only the item actions the registry uses on it
// (api/registry/dynamodb-registry.ts; TransactWriteItems is authorized as its PutItem and
// DeleteItem, there is no IAM action of its own).
import { CfnOutput } from "aws-cdk-lib";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { grantItems, operatorTable } from "./operator-table.ts";

/** What the scheduled alarm evaluation may do: read the fleet's description. */
export const REGISTRY_READ_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Scan",
] as const;

/** What the function may do with the table's items, and nothing else. */
export const REGISTRY_ITEM_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Scan",
  "dynamodb:PutItem",
  "dynamodb:DeleteItem",
] as const;

export class TurbineRegistryTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = operatorTable(this, { partition: "turbine_id" });
    new CfnOutput(scope, "RegistryTable", {
      value: this.table.tableName,
      description: "The DynamoDB table of the fleet registry (retained when the stack is deleted)",
    });
  }

  /** The function's table name (REGISTRY_TABLE) and its item actions on this table only. */
  attach(fn: LambdaFunction): void {
    grantItems(fn, this.table, "REGISTRY_TABLE", REGISTRY_ITEM_ACTIONS);
  }

  /** A function that only reads the registry (the scheduled alarm evaluation). */
  attachReader(fn: LambdaFunction): void {
    grantItems(fn, this.table, "REGISTRY_TABLE", REGISTRY_READ_ACTIONS);
  }
}
