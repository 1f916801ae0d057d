// The alarms' scheduled evaluation on AWS: a function built from the same sources as the API
// (infra/lambda-code.ts, entry api/lambda-schedule.ts) and an EventBridge rule that invokes it
// every minute (api/alarms/scheduled.ts says what a run does). Its IAM: read the registry, read
// and write the alarm table (the turbines' last-seen records are there: it queries no store of
// readings), read the webhook's secret; the rule's permission to
// invoke it (a resource policy for events.amazonaws.com from this rule only).
//
// With `-c gust:alarmWebhookUrl=https://...` the evaluation delivers each alarm's opening and
// closing there, signed with a secret generated here (its name is an output: share it with the
// receiver).
import { CfnOutput, Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction as LambdaTarget } from "aws-cdk-lib/aws-events-targets";
import {
  Architecture,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import type { AlarmTable } from "./alarm-table.ts";
import type { BundledStore } from "./lambda-bundle.ts";
import { bundledCode } from "./lambda-code.ts";
import type { TurbineRegistryTable } from "./registry-table.ts";

export interface AlarmScheduleProps {
  /** Which store's bundle (the schedule itself reads no readings: DynamoDB only). */
  store: BundledStore;
  registry: TurbineRegistryTable;
  alarms: AlarmTable;
  logRetentionDays: number;
  /** Where alarm events go (ALARM_WEBHOOK_URL); none: alarms are kept and listed only. */
  webhookUrl?: string;
}

export class AlarmSchedule extends Construct {
  readonly fn: LambdaFunction;
  readonly rule: Rule;
  /** Its log: one JSON line a run (what it judged), which the stack's heartbeat reads. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AlarmScheduleProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup = logGroup;
    this.fn = new LambdaFunction(this, "Function", {
      description: "gust: evaluates the alarm rules every minute and delivers the webhook",
      code: bundledCode(props.store, "schedule"),
      handler: "schedule.handler",
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      // A few DynamoDB calls and the due webhook deliveries (10 s each at most);
      // deliveries stop two seconds before this, the rest wait for the next minute.
      timeout: Duration.seconds(50),
      // Lambda's own retries of a failed asynchronous run (two by default) would only overlap
      // the next minute's run: none, as for the rule's.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        ...(props.webhookUrl ? { ALARM_WEBHOOK_URL: props.webhookUrl } : {}),
      },
    });
    props.registry.attachReader(this.fn);
    props.alarms.attachEvaluator(this.fn);
    if (props.webhookUrl) {
      const secret = new Secret(this, "WebhookSecret", {
        description: "gust: the HMAC secret of the alarm webhook's X-Gust-Signature",
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: "AwsSolutions::AwsSolutions-SMG4",
        reason:
          "The receiver checks signatures with this same secret: rotating it here would break every delivery until the receiver is changed too; rotate both by hand (docs/live-and-alarms.md).",
      });
      secret.grantRead(this.fn);
      this.fn.addEnvironment("ALARM_WEBHOOK_SECRET_ARN", secret.secretArn);
      new CfnOutput(scope, "AlarmWebhookSecretName", {
        value: secret.secretName,
        description:
          "The alarm webhook's HMAC secret: give it to the receiver (docs/live-and-alarms.md)",
      });
    }

    this.rule = new Rule(this, "EveryMinute", {
      description: "gust: evaluate the alarm rules",
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new LambdaTarget(this.fn, {
          // The next minute's run does the same work on fresher readings: no retries of a
          // missed one, and none that would overlap it.
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });
    Validations.of(this.rule).acknowledge({
      id: "Serverless::Serverless-EventBusDLQ",
      reason:
        "A scheduled event that could not be delivered carries nothing but its time: the next minute's event starts the same evaluation on fresher readings, so a dead-letter queue would keep nothing worth replaying.",
    });
  }
}
