// `-c gust:store=influxdb`: the same API with its readings in InfluxDB instead of Timestream for
// LiveAnalytics (closed to new AWS customers since 2025-06-20). No Timestream resources or IAM
// then; the Lambda reads the InfluxDB token from Secrets Manager.
//
// Two ways:
//   an existing endpoint   gust:influxdbUrl, gust:influxdbTokenSecretArn, gust:influxdbDatabase;
//                          with gust:influxdbSubnetIds + gust:influxdbSecurityGroupIds the Lambda
//                          runs in that VPC, otherwise the URL must be https (a public endpoint).
//   a new instance         gust:influxdbCreate=true with subnets and security groups: an
//                          AWS::Timestream::InfluxDBInstance (Timestream for InfluxDB, InfluxDB 2)
//                          in those subnets, and an empty token secret to fill after deploy
//                          (docs/aws.md).
import { CfnOutput, RemovalPolicy, Stack } from "aws-cdk-lib";
import { ManagedPolicy } from "aws-cdk-lib/aws-iam";
import type { CfnFunction, Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { type ISecret, Secret } from "aws-cdk-lib/aws-secretsmanager";
import { CfnInfluxDBInstance } from "aws-cdk-lib/aws-timestream";
import { Construct, type Node } from "constructs";

export interface InfluxDbVariantConfig {
  /** Base URL of an existing InfluxDB; absent when the stack creates the instance. */
  url?: string;
  /** The v1 database (InfluxDB 2.x: the bucket, with a DBRP mapping; 3.x: the database). */
  database: string;
  /** Secrets Manager secret holding the token (absent when the stack creates the instance). */
  tokenSecretArn?: string;
  /** Run the Lambda in these subnets with these security groups (both or neither). */
  subnetIds: string[];
  securityGroupIds: string[];
  /** Create a Timestream for InfluxDB instance instead of naming one. */
  create?: { instanceType: string; storageGb: number };
}

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
  const create = [true, "true"].includes(node.tryGetContext("gust:influxdbCreate"));
  const database = text(node, "gust:influxdbDatabase") ?? "gust";
  if (create) {
    if (subnetIds.length === 0)
      throw new Error(
        "gust:influxdbCreate needs gust:influxdbSubnetIds and gust:influxdbSecurityGroupIds: a Timestream for InfluxDB instance lives in a VPC",
      );
    return {
      database,
      subnetIds,
      securityGroupIds,
      create: {
        instanceType: text(node, "gust:influxdbInstanceType") ?? "db.influx.medium",
        storageGb: Number(node.tryGetContext("gust:influxdbStorageGb") ?? 20),
      },
    };
  }
  const url = text(node, "gust:influxdbUrl");
  const tokenSecretArn = text(node, "gust:influxdbTokenSecretArn");
  if (!url || !tokenSecretArn)
    throw new Error(
      "gust:store=influxdb needs gust:influxdbUrl and gust:influxdbTokenSecretArn (an existing InfluxDB), or gust:influxdbCreate=true with subnets and security groups",
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

  constructor(
    scope: Construct,
    id: string,
    private readonly config: InfluxDbVariantConfig,
  ) {
    super(scope, id);
    let url = config.url;
    if (config.create) {
      const { instance, token } = this.createInstance(config, config.create);
      url = `https://${instance.attrEndpoint}:8086`;
      this.token = token;
    } else {
      const arn = config.tokenSecretArn as string;
      // A complete ARN ends in the 6-character suffix Secrets Manager adds; a partial one does not.
      this.token = /-[A-Za-z0-9]{6}$/.test(arn)
        ? Secret.fromSecretCompleteArn(this, "Token", arn)
        : Secret.fromSecretPartialArn(this, "Token", arn);
    }
    this.environment = {
      STORE: "influxdb",
      INFLUXDB_URL: url as string,
      INFLUXDB_DATABASE: config.database,
      INFLUXDB_TOKEN_SECRET_ARN: this.token.secretArn,
    };
    new CfnOutput(Stack.of(this), "InfluxDbUrl", { value: url as string });
  }

  private createInstance(
    config: InfluxDbVariantConfig,
    create: NonNullable<InfluxDbVariantConfig["create"]>,
  ) {
    // The admin password CloudFormation sets once; gust itself only ever uses a token.
    const admin = new Secret(this, "AdminPassword", {
      description: "gust: Timestream for InfluxDB admin user's password",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: "gust-admin" }),
        generateStringKey: "password",
        passwordLength: 32,
        excludePunctuation: true,
      },
    });
    const instance = new CfnInfluxDBInstance(this, "Instance", {
      name: "gust",
      dbInstanceType: create.instanceType,
      allocatedStorage: create.storageGb,
      dbStorageType: "InfluxIOIncludedT1",
      deploymentType: "SINGLE_AZ",
      publiclyAccessible: false,
      vpcSubnetIds: config.subnetIds,
      vpcSecurityGroupIds: config.securityGroupIds,
      username: "gust-admin",
      password: admin.secretValueFromJson("password").unsafeUnwrap(),
      organization: "gust",
      bucket: config.database,
    });
    // Readings outlive the stack: deleting it must not delete the database.
    instance.applyRemovalPolicy(RemovalPolicy.RETAIN);
    // InfluxDB 2 issues tokens itself: create one after deploy and put it here (docs/aws.md).
    const token = new Secret(this, "ApiToken", {
      description:
        "gust: InfluxDB API token (write and read on the gust bucket); set it after deploy, see docs/aws.md",
    });
    new CfnOutput(Stack.of(this), "InfluxDbTokenSecret", { value: token.secretName });
    new CfnOutput(Stack.of(this), "InfluxDbAdminSecret", { value: admin.secretName });
    return { instance, token };
  }

  /** Gives the API Lambda the token and, when configured, a place in the InfluxDB's VPC. */
  attach(fn: LambdaFunction): void {
    this.token.grantRead(fn);
    if (this.config.subnetIds.length === 0) return;
    // Subnet and security group IDs from context, as CloudFormation takes them: no VPC lookup,
    // so synth stays offline.
    (fn.node.defaultChild as CfnFunction).addPropertyOverride("VpcConfig", {
      SubnetIds: this.config.subnetIds,
      SecurityGroupIds: this.config.securityGroupIds,
    });
    fn.role?.addManagedPolicy(
      ManagedPolicy.fromAwsManagedPolicyName("service-role/AWSLambdaVPCAccessExecutionRole"),
    );
  }
}
