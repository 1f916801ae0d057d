// Turbines on AWS IoT Core (docs/mqtt.md, "On AWS"): a thing publishes its readings on its own
// topic, a topic rule hands each message to the ingest function with the turbine id taken from
// the topic, and nothing the rule fails to deliver is dropped: a failed invocation goes to a
// retained S3 bucket (the rule's error action), a function that fails twice on a message sends
// it to a retained SQS queue (the function's on-failure destination for asynchronous calls).
// The function publishes its answer on the thing's answers topic through the account's IoT data
// endpoint, which the stack looks up at deploy time (DescribeEndpoint has no CloudFormation
// attribute).
import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { CfnPolicy, CfnTopicRule } from "aws-cdk-lib/aws-iot";
import { EventInvokeConfig, type Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from "aws-cdk-lib/aws-s3";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  PhysicalResourceId,
} from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";

/** The thing's own name, as IoT Core substitutes it in a policy. */
const THING = "${iot:Connection.Thing.ThingName}";

export interface MqttIngestProps {
  /** The function that answers POST /v1/measurements; it also takes the rule's events. */
  ingestFunction: LambdaFunction;
}

export class MqttIngest extends Construct {
  readonly policy: CfnPolicy;
  readonly rule: CfnTopicRule;
  readonly failedDeliveries: Bucket;
  readonly failedReadings: Queue;

  constructor(scope: Construct, id: string, props: MqttIngestProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const iot = (kind: string, name: string) =>
      `arn:${stack.partition}:iot:${stack.region}:${stack.account}:${kind}/${name}`;

    // A turbine's thing connects as itself and publishes only its own readings topics; it reads
    // its own answers topic (kept for devices that also talk to gust's own broker).
    this.policy = new CfnPolicy(this, "TurbinePolicy", {
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "iot:Connect", Resource: iot("client", THING) },
          {
            Effect: "Allow",
            Action: "iot:Publish",
            Resource: [
              iot("topic", `gust/v1/turbines/${THING}/readings`),
              iot("topic", `gust/v1/turbines/${THING}/readings/gzip`),
            ],
          },
          {
            Effect: "Allow",
            Action: "iot:Subscribe",
            Resource: iot("topicfilter", `gust/v1/turbines/${THING}/answers`),
          },
          {
            Effect: "Allow",
            Action: "iot:Receive",
            Resource: iot("topic", `gust/v1/turbines/${THING}/answers`),
          },
        ],
      },
    });

    this.failedDeliveries = new Bucket(this, "FailedDeliveries", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.failedDeliveries).acknowledge({
      id: "AwsSolutions::AwsSolutions-S1",
      reason:
        "Only IoT Core's rule writes here, as the error action; access logs of a bucket that holds undelivered readings add a second bucket and cost without telling an operator more than the objects do.",
    });
    this.failedReadings = new Queue(this, "FailedReadings", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.failedReadings).acknowledge({
      id: "AwsSolutions::AwsSolutions-SQS3",
      reason: "This queue is itself where failed deliveries are kept: a dead-letter queue.",
    });
    Validations.of(this.failedReadings).acknowledge({
      id: "Serverless::Serverless-SQSRedrivePolicy",
      reason: "This queue is itself the dead-letter queue of the function's asynchronous calls.",
    });

    const errorRole = new Role(this, "ErrorActionRole", {
      assumedBy: new ServicePrincipal("iot.amazonaws.com"),
    });
    // PutObject only: the error action writes one new object per failed message.
    errorRole.addToPolicy(
      new PolicyStatement({
        actions: ["s3:PutObject"],
        resources: [this.failedDeliveries.arnForObjects("*")],
      }),
    );
    Validations.of(errorRole).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.failedDeliveries.node.defaultChild as CfnBucket)}.Arn>/*]`,
      reason:
        "The error action names each object by the message's topic, time and a UUID: new keys under the one bucket, PutObject only.",
    });

    // The payload travels base64 (encode(*, 'base64')) so that gzip and malformed JSON reach
    // the function as sent, and are answered as HTTP answers them, not dropped by the rule.
    // topic(4) is {turbine_id} in gust/v1/turbines/{turbine_id}/readings.
    this.rule = new CfnTopicRule(this, "ReadingsRule", {
      topicRulePayload: {
        awsIotSqlVersion: "2016-03-23",
        sql: "SELECT encode(*, 'base64') AS payload, topic() AS topic, topic(4) AS turbine_id, clientid() AS client_id FROM 'gust/v1/turbines/+/readings/#'",
        ruleDisabled: false,
        actions: [{ lambda: { functionArn: props.ingestFunction.functionArn } }],
        errorAction: {
          s3: {
            bucketName: this.failedDeliveries.bucketName,
            key: "${topic()}/${timestamp()}-${newuuid()}.json",
            roleArn: errorRole.roleArn,
          },
        },
      },
    });
    props.ingestFunction.addPermission("InvokeByReadingsRule", {
      principal: new ServicePrincipal("iot.amazonaws.com"),
      sourceArn: this.rule.attrArn,
      sourceAccount: stack.account,
    });
    // Answers: the account's data endpoint, and publishing on the answers topics only.
    const endpoint = new AwsCustomResource(this, "IotDataEndpoint", {
      onUpdate: {
        service: "Iot",
        action: "describeEndpoint",
        parameters: { endpointType: "iot:Data-ATS" },
        physicalResourceId: PhysicalResourceId.of("iot-data-ats-endpoint"),
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({
        resources: AwsCustomResourcePolicy.ANY_RESOURCE,
      }),
      installLatestAwsSdk: false,
      memorySize: 256,
    });
    Validations.of(endpoint).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
      reason:
        "iot:DescribeEndpoint has no resource-level permissions (IAM's service authorization reference); it only reads the account's endpoint address, once per deployment.",
    });
    // The function CDK shares among the stack's AWS custom resources: a deploy-time lookup.
    const provider = stack.node.tryFindChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, "")}`,
    );
    if (provider) {
      for (const [id, reason] of [
        [
          "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
          "CDK's custom-resource function only writes its own logs, which is all the managed basic-execution policy allows.",
        ],
        [
          "Serverless::Serverless-LambdaDLQ",
          "CloudFormation invokes the deploy-time lookup synchronously and fails the deployment when it fails: nothing to keep in a queue.",
        ],
        [
          "Serverless::Serverless-LambdaTracing",
          "One DescribeEndpoint call per deployment: a trace would show nothing the CloudFormation events do not.",
        ],
      ] as const) {
        Validations.of(provider).acknowledge({ id, reason });
      }
    }
    props.ingestFunction.addEnvironment(
      "IOT_DATA_ENDPOINT",
      endpoint.getResponseField("endpointAddress"),
    );
    const answersTopics = iot("topic", "gust/v1/turbines/*/answers");
    props.ingestFunction.addToRolePolicy(
      new PolicyStatement({ actions: ["iot:Publish"], resources: [answersTopics] }),
    );
    Validations.of(props.ingestFunction).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/gust/v1/turbines/*/answers]",
      reason:
        "The function answers any turbine's publish on that turbine's answers topic; the wildcard is the turbine id level of gust/v1/turbines/{id}/answers and nothing else.",
    });
    // IoT Core invokes asynchronously: Lambda retries a failed event twice, then keeps it here.
    new EventInvokeConfig(this, "AsyncInvokeConfig", {
      function: props.ingestFunction,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failedReadings),
    });
  }
}
