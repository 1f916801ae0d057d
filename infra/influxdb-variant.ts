// `-c gust:store=influxdb`: the same API with its readings in InfluxDB instead of Timestream for
// LiveAnalytics (closed to new AWS customers since 2025-06-20). No Timestream resources or IAM
// then; the Lambda reads the InfluxDB token from Secrets Manager.
//
// Two ways:
//   a new cluster (the default)  InfluxDB 3 Core on Amazon Timestream for InfluxDB
//                          (AWS::Timestream::InfluxDBCluster, parameter group InfluxDBv3Core), in a
//                          VPC of the stack's own: isolated subnets in two zones, no NAT, and the
//                          endpoints the API function needs there (Secrets Manager, an interface
//                          endpoint; DynamoDB, a gateway endpoint). The token is the cluster's own
//                          secret (InfluxAuthParametersSecretArn), which Timestream creates with it,
//                          unless gust:influxdbTokenSecretArn names a narrower one. Retained.
//   an existing endpoint   gust:influxdbUrl, gust:influxdbTokenSecretArn, gust:influxdbDatabase;
//                          with gust:influxdbSubnetIds + gust:influxdbSecurityGroupIds the Lambda
//                          runs in that VPC (its endpoints or NAT are that VPC's owner's), otherwise
//                          the URL must be https (a public endpoint).
// Only the API function reaches InfluxDB: the alarm schedule reads DynamoDB alone, outside any VPC
// (its webhook reaches the internet without a NAT).
import { CfnOutput, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import {
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from "aws-cdk-lib/aws-ec2";
import { ManagedPolicy } from "aws-cdk-lib/aws-iam";
import type { CfnFunction, Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { type ISecret, Secret } from "aws-cdk-lib/aws-secretsmanager";
import { CfnInfluxDBCluster } from "aws-cdk-lib/aws-timestream";
import { Construct, type Node } from "constructs";

export interface InfluxDbVariantConfig {
  /** Base URL of an existing InfluxDB; absent when the stack creates the cluster. */
  url?: string;
  /** The v1 database (InfluxDB 2.x: the bucket, with a DBRP mapping; 3.x: the database). */
  database: string;
  /** Secrets Manager secret holding the token (for a new cluster: its own secret when absent). */
  tokenSecretArn?: string;
  /** Run the Lambda in these subnets with these security groups (both or neither). */
  subnetIds: string[];
  securityGroupIds: string[];
  /** Create an InfluxDB 3 Core cluster (and its VPC) instead of naming an InfluxDB. */
  create?: { instanceType: string };
}

/** InfluxDB 3 Core, the service-defined parameter group of Timestream for InfluxDB 3. */
export const INFLUXDB3_PARAMETER_GROUP = "InfluxDBv3Core";
const INFLUXDB_PORT = 8086;

function list(node: Node, key: string): string[] {
  const raw = node.tryGetContext(key);
  if (Array.isArray(raw)) return raw.map(String).filter(Boolean);
  if (typeof raw === "string" && raw !== "") return raw.split(",").map((s) => s.trim());
  return [];
}

function text(node: Node, key: string): string | undefined {
  const raw = node.tryGetContext(key);
  return typeof raw === "string" && raw !== "" ? raw : undefined;
}

/** The InfluxDB settings from context, or undefined unless gust:store=influxdb. */
export function influxDbConfigFromContext(node: Node): InfluxDbVariantConfig | undefined {
  const store = text(node, "gust:store") ?? "timestream";
  if (store !== "timestream" && store !== "influxdb")
    throw new Error(`context gust:store must be "timestream" or "influxdb", not "${store}"`);
  if (store !== "influxdb") return undefined;
  const subnetIds = list(node, "gust:influxdbSubnetIds");
  const securityGroupIds = list(node, "gust:influxdbSecurityGroupIds");
  if (subnetIds.length > 0 !== securityGroupIds.length > 0)
    throw new Error(
      "gust:influxdbSubnetIds and gust:influxdbSecurityGroupIds go together: give both to run the Lambda in the InfluxDB's VPC, or neither for a public endpoint",
    );
  const database = text(node, "gust:influxdbDatabase") ?? "gust";
  const url = text(node, "gust:influxdbUrl");
  const tokenSecretArn = text(node, "gust:influxdbTokenSecretArn");
  if (!url) {
    // No URL: a new InfluxDB 3 cluster, the path open to a new AWS account.
    if (subnetIds.length > 0)
      throw new Error(
        "A new InfluxDB cluster gets a VPC of the stack's own: leave out gust:influxdbSubnetIds and gust:influxdbSecurityGroupIds, or name an existing InfluxDB with gust:influxdbUrl",
      );
    return {
      database,
      subnetIds: [],
      securityGroupIds: [],
      ...(tokenSecretArn ? { tokenSecretArn } : {}),
      create: { instanceType: text(node, "gust:influxdbInstanceType") ?? "db.influx.medium" },
    };
  }
  if (!tokenSecretArn)
    throw new Error(
      "gust:influxdbUrl needs gust:influxdbTokenSecretArn (a secret holding a token with write and read on the database); leave both out to create an InfluxDB 3 cluster",
    );
  if (!url.startsWith("https://") && subnetIds.length === 0)
    throw new Error(
      `gust:influxdbUrl must be https:// for an endpoint reached over the internet, not ${url} (or give subnets and security groups to reach it inside its VPC)`,
    );
  return { url, database, tokenSecretArn, subnetIds, securityGroupIds };
}

/** The InfluxDB side of the stack: what the API Lambda needs to reach it. */
export class InfluxDbReadingStore extends Construct {
  /** The Lambda's environment for STORE=influxdb. */
  readonly environment: Record<string, string>;
  private readonly token: ISecret;
  private readonly vpcConfig?: { SubnetIds: string[]; SecurityGroupIds: string[] };

  constructor(scope: Construct, id: string, config: InfluxDbVariantConfig) {
    super(scope, id);
    let url = config.url;
    let tokenArn = config.tokenSecretArn;
    if (config.create) {
      const created = this.createCluster(config.create);
      url = `https://${created.cluster.attrEndpoint}:${INFLUXDB_PORT}`;
      tokenArn ??= created.cluster.attrInfluxAuthParametersSecretArn;
      this.vpcConfig = created.vpcConfig;
    } else if (config.subnetIds.length > 0) {
      this.vpcConfig = { SubnetIds: config.subnetIds, SecurityGroupIds: config.securityGroupIds };
    }
    const arn = tokenArn as string;
    // A complete ARN ends in the 6-character suffix Secrets Manager adds; a partial one does not.
    this.token =
      config.tokenSecretArn === undefined || /-[A-Za-z0-9]{6}$/.test(arn)
        ? Secret.fromSecretCompleteArn(this, "Token", arn)
        : Secret.fromSecretPartialArn(this, "Token", arn);
    this.environment = {
      STORE: "influxdb",
      INFLUXDB_URL: url as string,
      INFLUXDB_DATABASE: config.database,
      INFLUXDB_TOKEN_SECRET_ARN: this.token.secretArn,
    };
    new CfnOutput(Stack.of(this), "InfluxDbUrl", { value: url as string });
    new CfnOutput(Stack.of(this), "InfluxDbTokenSecretArn", {
      value: this.token.secretArn,
      description: "The token the API uses (read again when InfluxDB refuses it)",
    });
  }

  /**
   * InfluxDB 3 Core in a VPC of its own: isolated subnets (no NAT: nothing in them needs the
   * internet), the endpoints the API function reaches AWS through, security groups that let the
   * function reach the cluster's port and the endpoints' HTTPS only.
   */
  private createCluster(create: NonNullable<InfluxDbVariantConfig["create"]>) {
    const vpc = new Vpc(this, "Vpc", {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: "isolated", subnetType: SubnetType.PRIVATE_ISOLATED }],
      // DynamoDB through a gateway endpoint (free); Secrets Manager through an interface one.
      gatewayEndpoints: { DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    vpc.addFlowLog("FlowLog");
    const functions = new SecurityGroup(this, "FunctionSecurityGroup", {
      vpc,
      description: "gust: the API function (reaches InfluxDB and the endpoints only)",
      allowAllOutbound: false,
    });
    const database = new SecurityGroup(this, "ClusterSecurityGroup", {
      vpc,
      description: "gust: the InfluxDB cluster, reached by the API function only",
      allowAllOutbound: false,
    });
    database.addIngressRule(functions, Port.tcp(INFLUXDB_PORT), "the API function");
    functions.addEgressRule(database, Port.tcp(INFLUXDB_PORT), "InfluxDB");
    const endpoints = new SecurityGroup(this, "EndpointSecurityGroup", {
      vpc,
      description: "gust: the Secrets Manager endpoint (HTTPS from the API function)",
      allowAllOutbound: false,
    });
    endpoints.addIngressRule(functions, Port.tcp(443), "the API function");
    // HTTPS out reaches only the endpoints: the subnets have no route to the internet.
    functions.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(443),
      "AWS APIs through the VPC's endpoints (Secrets Manager, DynamoDB); no route beyond",
    );
    vpc.addInterfaceEndpoint("SecretsManager", {
      service: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      securityGroups: [endpoints],
      privateDnsEnabled: true,
    });
    const subnets = vpc.isolatedSubnets.map((subnet) => subnet.subnetId);
    Validations.of(this).acknowledge({
      id: "AwsSolutions::AwsSolutions-EC23",
      reason:
        "Every ingress rule here names a security group (the API function's), never an address range; cdk-nag cannot evaluate a group reference and reports it.",
    });
    const cluster = new CfnInfluxDBCluster(this, "Cluster", {
      name: "gust",
      dbInstanceType: create.instanceType,
      dbParameterGroupIdentifier: INFLUXDB3_PARAMETER_GROUP,
      port: INFLUXDB_PORT,
      publiclyAccessible: false,
      vpcSubnetIds: subnets,
      vpcSecurityGroupIds: [database.securityGroupId],
    });
    // Readings outlive the stack: deleting it must not delete the database (nor its secret,
    // which Timestream owns with the cluster).
    cluster.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return {
      cluster,
      vpcConfig: { SubnetIds: subnets, SecurityGroupIds: [functions.securityGroupId] },
    };
  }

  /** Gives the API Lambda the token and, when there is one, its place in the InfluxDB's VPC. */
  attach(fn: LambdaFunction): void {
    this.token.grantRead(fn);
    if (!this.vpcConfig) return;
    // Subnet and security group IDs as CloudFormation takes them: no VPC lookup, so synth stays
    // offline.
    (fn.node.defaultChild as CfnFunction).addPropertyOverride("VpcConfig", this.vpcConfig);
    fn.role?.addManagedPolicy(
      ManagedPolicy.fromAwsManagedPolicyName("service-role/AWSLambdaVPCAccessExecutionRole"),
    );
    Validations.of(fn).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
      reason:
        "AWSLambdaVPCAccessExecutionRole grants the network interface actions Lambda needs to run a function in a VPC (and logs), nothing on data.",
    });
  }
}
