// The whole cloud path in one stack: Timestream database and table, the key secret, the API
// Lambda, and the HTTP API in front of it, with least-privilege IAM, logs, and alarms that reach
// someone (an SNS topic the stack outputs). Other concerns add their constructs from their own
// files under infra/ with one call each below, to keep this file's merges small.
import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import {
  Alias,
  Architecture,
  type IFunction,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { FilterPattern, LogGroup, MetricFilter, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { CfnDatabase, CfnTable } from "aws-cdk-lib/aws-timestream";
import type { Construct, IConstruct } from "constructs";
import { AlarmSchedule } from "./alarm-schedule.ts";
import { AlarmTable } from "./alarm-table.ts";
import type { GustStackConfig } from "./config.ts";
import { InfluxDbReadingStore } from "./influxdb-variant.ts";
import { bundledCode } from "./lambda-code.ts";
import { MqttIngest } from "./mqtt-ingest.ts";
import { TurbineRegistryTable } from "./registry-table.ts";

const MAINTENANCE_MODE =
  "Timestream for LiveAnalytics is closed to new customers (2025-06-20) but keeps running for existing ones, who are this stack's users; gust also runs on InfluxDB (docs/aws.md).";

/**
 * The routes the app serves on Lambda; API Gateway answers anything else itself (404).
 * test/infra/stack.test.ts checks this list against the app's OpenAPI document, so a new route
 * cannot be forgotten here. The live view works by polling: GET /v1/live answers 501 there
 * ("poll GET /v1/live/snapshot": an HTTP API cannot stream Server-Sent Events), the snapshot and
 * GET /v1/alarms read the store and the alarm table, and the /live page polls. Left out on
 * purpose (LAMBDA_UNROUTED): the bulk export of readings (it streams up to a million readings,
 * far past Lambda's 6 MB answer, and Parquet needs DuckDB).
 */
export const API_ROUTES: [HttpMethod, string][] = [
  [HttpMethod.POST, "/v1/measurements"],
  [HttpMethod.GET, "/v1/turbines/{turbine_id}/measurements"],
  [HttpMethod.GET, "/v1/turbines"],
  [HttpMethod.PUT, "/v1/turbines"],
  [HttpMethod.GET, "/v1/turbines/{turbine_id}"],
  [HttpMethod.PUT, "/v1/turbines/{turbine_id}"],
  [HttpMethod.DELETE, "/v1/turbines/{turbine_id}"],
  [HttpMethod.POST, "/v1/turbines/{turbine_id}/keys/rotate"],
  [HttpMethod.POST, "/v1/keys/{role}/rotate"],
  [HttpMethod.GET, "/v1/keys/generations"],
  [HttpMethod.GET, "/v1/power"],
  [HttpMethod.GET, "/v1/analyses/power-curve"],
  [HttpMethod.GET, "/v1/analyses/underperformance"],
  [HttpMethod.GET, "/v1/analyses/availability"],
  [HttpMethod.GET, "/v1/analyses/energy"],
  [HttpMethod.GET, "/v1/analyses/deficits"],
  [HttpMethod.GET, "/v1/analyses/yaw-misalignment"],
  [HttpMethod.POST, "/v1/live/tokens"],
  [HttpMethod.GET, "/v1/live"],
  [HttpMethod.GET, "/v1/live/snapshot"],
  [HttpMethod.GET, "/v1/alarms"],
  [HttpMethod.GET, "/healthz"],
  [HttpMethod.GET, "/openapi.json"],
  [HttpMethod.GET, "/docs"],
  [HttpMethod.GET, "/docs/{asset}"],
  [HttpMethod.GET, "/live"],
  [HttpMethod.GET, "/live/{asset}"],
];

/** Documented routes deliberately not routed to Lambda (see API_ROUTES). */
export const LAMBDA_UNROUTED = ["GET /v1/readings/export"];

export interface GustStackProps extends StackProps {
  config: GustStackConfig;
}

export class GustStack extends Stack {
  constructor(scope: Construct, id: string, props: GustStackProps) {
    super(scope, id, props);
    const { config } = props;
    // -c gust:store=influxdb: readings in InfluxDB, and no Timestream resources or IAM at all.
    const influx = config.influxdb && new InfluxDbReadingStore(this, "InfluxDb", config.influxdb);

    // Timestream: created (and retained on stack deletion), or an existing one by name.
    const databaseName = config.existingDatabase ?? config.databaseName;
    const tableName = config.existingTable ?? config.tableName;
    // LiveAnalytics is closed to new AWS customers (2025-06-20): synth warns that the service
    // is in maintenance mode. Existing customers keep using it; see docs/aws.md.
    if (!config.existingDatabase && !influx) {
      const database = new CfnDatabase(this, "Database", { databaseName });
      database.applyRemovalPolicy(RemovalPolicy.RETAIN);
      acknowledge(
        database,
        "AwsSolutions::AwsSolutions-TS3",
        "Encrypted at rest with Timestream's AWS-owned key; a customer-managed key adds cost and a key policy to run, for telemetry that is not personal data. Set kmsKeyId here if policy requires one.",
      );
      acknowledge(database, "CloudFormation-Validate::W3697", MAINTENANCE_MODE);
    }
    if (!config.existingTable && !influx) {
      const table = new CfnTable(this, "Table", {
        databaseName,
        tableName,
        // Typed `any` in CDK: CloudFormation's own keys, with string values.
        retentionProperties: {
          MemoryStoreRetentionPeriodInHours: String(config.memoryRetentionHours),
          MagneticStoreRetentionPeriodInDays: String(config.magneticRetentionDays),
        },
        // Magnetic-store writes stay OFF, deliberately: Timestream checks a late record against
        // what is stored only later, and without a rejected-data location drops a conflicting one
        // after answering success; such writes also become queryable only after hours, so the
        // duplicate lookup could not see them. The app's write window is the memory store's
        // retention instead (WRITE_WINDOW_HOURS below): an older reading is answered too_old,
        // never accepted and lost. docs/aws.md, "What holds on Timestream".
        magneticStoreWriteProperties: { EnableMagneticStoreWrites: false },
      });
      table.applyRemovalPolicy(RemovalPolicy.RETAIN);
      acknowledge(table, "CloudFormation-Validate::W3697", MAINTENANCE_MODE);
      const database = this.node.tryFindChild("Database") as CfnDatabase | undefined;
      if (database) table.addResourceDependency(database);
    }
    const tableArn = Stack.of(this).formatArn({
      service: "timestream",
      resource: "database",
      resourceName: `${databaseName}/table/${tableName}`,
    });

    // Retained like the data: every turbine key derives from it, so a redeploy after deleting
    // the stack must not change every key in the fleet.
    const secret = new Secret(this, "ApiKeySecret", {
      description: "gust: the secret every API key is derived from (HMAC-SHA256)",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      secret,
      "AwsSolutions::AwsSolutions-SMG4",
      "Rotating this secret would change every turbine's key at once and lock the fleet out; keys are rotated per turbine by the app instead (docs/registry.md).",
    );

    const storeEnvironment = influx?.environment ?? {
      STORE: "timestream",
      TIMESTREAM_DATABASE: databaseName,
      TIMESTREAM_TABLE: tableName,
    };
    /** The store's IAM for a function: InfluxDB's token (and VPC), or these actions on the table. */
    const grantStore = (target: LambdaFunction, actions: string[]) => {
      if (influx) {
        influx.attach(target);
        return;
      }
      target.addToRolePolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [tableArn] }),
      );
      // DescribeEndpoints has no resource form: it can only be granted on "*".
      target.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["timestream:DescribeEndpoints"],
          resources: ["*"],
        }),
      );
    };

    const logGroup = new LogGroup(this, "ApiFunctionLogs", {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const fn = new LambdaFunction(this, "ApiFunction", {
      // The asset is built by infra/lambda-bundle.ts, the same build `npm run bench -- lambda`
      // measures: SDK bundled and pinned, ESM builds, one store, no locales (see that file).
      code: bundledCode(influx ? "influxdb" : "timestream"),
      handler: "index.handler",
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      // Validation and JSON are CPU-bound; Lambda gives CPU in proportion to memory, and 1 GB
      // answers a 1000-reading batch well inside the time a turbine waits.
      memorySize: 1024,
      // Store retries stop one second before this, so a slow Timestream becomes a 503 the
      // client retries, not a timeout; API Gateway's own limit is 30 s.
      timeout: Duration.seconds(15),
      // A ceiling on concurrent executions, by default (docs/aws.md): a flood of requests
      // (the stage admits bursts of throttleBurstLimit) cannot take the account's whole
      // concurrency from its other functions, nor run up Timestream writes and queries beyond
      // what the fleet needs. 50 executions at ~50-100 ms a request serve 500-1000 requests a
      // second, the stage's own rate limit. `-c gust:reservedConcurrency=none` turns it off
      // (new accounts with a concurrency quota of 10 cannot reserve any).
      reservedConcurrentExecutions: config.reservedConcurrency,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        ...storeEnvironment,
        API_KEY_SECRET_ARN: secret.secretArn,
        DOCS_ASSETS_DIR: "/var/task/docs-assets",
        LIVE_ASSETS_DIR: "/var/task/live-assets",
        // On Timestream, only what the memory store keeps (magnetic-store writes are off).
        ...(influx ? {} : { WRITE_WINDOW_HOURS: String(config.memoryRetentionHours) }),
        // No --enable-source-maps: it costs ~60 ms of import at every cold start. The map file
        // is in the asset (index.mjs.map) for reading a stack trace by hand.
      },
    });
    acknowledgeFunction(fn, {
      dlq: "API Gateway invokes the function synchronously: a failed request is answered (5xx) and retried by the turbine; a dead-letter queue only applies to asynchronous invocations.",
      iam5: "timestream:DescribeEndpoints has no resource-level permissions: AWS documents it on * only. WriteRecords and Select are granted on the one table.",
    });
    secret.grantRead(fn);
    // Turbines on AWS IoT Core: their readings topics reach this same function (docs/mqtt.md).
    new MqttIngest(this, "Mqtt", { ingestFunction: fn });
    const registry = new TurbineRegistryTable(this, "Registry");
    registry.attach(fn);
    // DescribeTable: the write window follows the table's memory retention (timestream-store.ts).
    grantStore(fn, ["timestream:WriteRecords", "timestream:Select", "timestream:DescribeTable"]);

    // Alarms: their table, read by the API; the rules evaluated every minute by a function of
    // their own that only reads the store (docs/live-and-alarms.md, "What differs on Lambda").
    const alarms = new AlarmTable(this, "Alarms");
    alarms.attachReader(fn);
    const schedule = new AlarmSchedule(this, "AlarmSchedule", {
      store: influx ? "influxdb" : "timestream",
      registry,
      alarms,
      logRetentionDays: config.logRetentionDays,
      ...(config.alarmWebhookUrl ? { webhookUrl: config.alarmWebhookUrl } : {}),
    });
    acknowledge(
      schedule.fn,
      "Serverless::Serverless-LambdaAsyncFailureDestination",
      "A failed scheduled run needs no destination: its work is redone by the next minute's run, undelivered webhook events stay in the outbox, and its errors reach the alarm topic (AlarmScheduleErrors).",
    );
    acknowledgeFunction(schedule.fn, {
      dlq: "EventBridge invokes it asynchronously every minute with no retries on purpose: a failed run's work (reading the turbines' records, judging, delivering the outbox) is done again by the next minute's run, and the outbox keeps every undelivered event; a dead-letter queue would hold nothing to act on.",
    });

    let target: IFunction = fn;
    if (config.provisionedConcurrency) {
      target = new Alias(this, "ApiFunctionLive", {
        aliasName: "live",
        version: fn.currentVersion,
        provisionedConcurrentExecutions: config.provisionedConcurrency,
      });
    }

    const api = new HttpApi(this, "HttpApi", {
      apiName: "gust",
      createDefaultStage: false,
      ...(config.corsOrigins.length > 0
        ? {
            // API Gateway answers the preflight itself (no Lambda call) for every route a
            // browser uses: registry edits (PUT, DELETE with If-Match), key rotation (POST),
            // reads; the answers' ETag and Retry-After are readable by the page. ADR 021.
            corsPreflight: {
              allowOrigins: config.corsOrigins,
              allowMethods: [
                CorsHttpMethod.GET,
                CorsHttpMethod.POST,
                CorsHttpMethod.PUT,
                CorsHttpMethod.DELETE,
              ],
              allowHeaders: [
                "authorization",
                "content-type",
                "content-encoding",
                "if-match",
                "last-event-id",
              ],
              exposeHeaders: ["etag", "retry-after", "location"],
              maxAge: Duration.days(1),
            },
          }
        : {}),
    });
    acknowledge(
      api,
      "AwsSolutions::AwsSolutions-APIG4",
      "The app authorizes every data route itself (HMAC-derived turbine, operator and reader keys, checked before any work); /healthz, /openapi.json and /docs are public by design. An API Gateway authorizer would add a Lambda call to every request for the same check.",
    );
    const integration = new HttpLambdaIntegration("ApiIntegration", target);
    for (const [method, path] of API_ROUTES)
      api.addRoutes({ path, methods: [method], integration });

    const accessLogs = new LogGroup(this, "ApiAccessLogs", {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A stage of our own: the one HttpApi creates has no throttling. Both limits must be set
    // (a missing one becomes 0, and every request answers 429).
    const stage = new HttpStage(this, "DefaultStage", {
      httpApi: api,
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // One JSON object per request, so CloudWatch Logs Insights can filter on any field.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            time: "$context.requestTime",
            ip: "$context.identity.sourceIp",
            routeKey: "$context.routeKey",
            status: "$context.status",
            responseLength: "$context.responseLength",
            latencyMs: "$context.responseLatency",
            integrationStatus: "$context.integrationStatus",
            integrationLatencyMs: "$context.integrationLatency",
            integrationErrorMessage: "$context.integrationErrorMessage",
            errorMessage: "$context.error.message",
          }),
        ),
      },
    });

    // Alarms reach whoever subscribes to this topic (its ARN is an output; docs/aws.md).
    const alarmTopic = new Topic(this, "AlarmTopic", {
      displayName: "gust alarms",
      enforceSSL: true,
    });
    // -c gust:alarmEmail=ops@example.com: that address is subscribed (AWS e-mails it a link to
    // confirm once); without it, subscribe to the AlarmTopicArn output.
    if (config.alarmEmail) alarmTopic.addSubscription(new EmailSubscription(config.alarmEmail));
    // Errors alarm in two of three minutes: one transient 503 (a store throttling for a moment,
    // answered with Retry-After and resent) pages nobody; a failure that lasts does.
    const alarm = (id: string, description: string, metric: IMetric) =>
      new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new SnsAction(alarmTopic));
    // Heartbeats: silence is the failure here, so missing data breaches.
    const heartbeat = (id: string, description: string, metric: IMetric, periods: number) =>
      new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: periods,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
      }).addAlarmAction(new SnsAction(alarmTopic));
    heartbeat(
      "AlarmScheduleNotRunning",
      "gust's alarm evaluation has not run for 10 minutes (its EventBridge rule disabled or deleted, or the function cannot be invoked): no turbine alarm opens or closes",
      schedule.fn.metricInvocations({ period: Duration.minutes(5), statistic: "Sum" }),
      2,
    );
    // Each run logs how many turbines report (api/lambda-schedule-handler.ts); a metric filter
    // turns that into a metric, and none reporting for 15 minutes (or no run) alarms.
    const reporting = new MetricFilter(this, "TurbinesReportingFilter", {
      logGroup: schedule.logGroup,
      filterPattern: FilterPattern.stringValue("$.message", "=", "gust: alarms evaluated"),
      metricNamespace: "gust",
      metricName: "TurbinesReporting",
      metricValue: "$.reporting",
    });
    heartbeat(
      "NoReadings",
      "No turbine has sent a reading for 15 minutes: the gateways, their network, the API or its store; see the API's access log",
      reporting.metric({ period: Duration.minutes(5), statistic: "Maximum" }),
      3,
    );
    // The app turns its own failures into 500 answers (app.onError), which Lambda counts as
    // successful invocations: the stage's 5xx count is what sees them (and 503s, and API
    // Gateway's own 500 when the function times out or crashes).
    alarm(
      "Api5xx",
      "gust API answered 5xx: the store is unavailable (503) or the app failed (500); see the access log's status and integrationErrorMessage",
      stage.metricServerError({ period: Duration.minutes(1), statistic: "Sum" }),
    );
    alarm(
      "ApiFunctionErrors",
      "gust API Lambda errors: the function crashed or timed out (init failures included)",
      fn.metricErrors({ period: Duration.minutes(1) }),
    );
    alarm(
      "AlarmScheduleErrors",
      "gust's scheduled alarm evaluation failed: turbine alarms are not being opened, closed or delivered until it runs again; see its log",
      schedule.fn.metricErrors({ period: Duration.minutes(1) }),
    );
    alarm(
      "ApiFunctionThrottles",
      "gust API Lambda throttled: raise gust:reservedConcurrency or the account's limit",
      fn.metricThrottles({ period: Duration.minutes(1) }),
    );

    new CfnOutput(this, "ApiUrl", {
      value: stage.url,
      description: "Point turbines and `npm run simulate -- --target` here",
    });
    if (!influx) new CfnOutput(this, "TimestreamTable", { value: `${databaseName}.${tableName}` });
    new CfnOutput(this, "AlarmTopicArn", {
      value: alarmTopic.topicArn,
      description: "Subscribe an email or pager to receive gust's alarms (docs/aws.md)",
    });
    new CfnOutput(this, "ApiKeySecretName", {
      value: secret.secretName,
      description: "Keys derive from this secret: see docs/aws.md",
    });
  }
}

/** A cdk-nag (or CloudFormation) finding accepted on purpose, with the reason, on `scope`. */
function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The findings both functions share, accepted with their reasons; `dlq` and `iam5` differ. */
function acknowledgeFunction(fn: LambdaFunction, reasons: { dlq: string; iam5?: string }): void {
  acknowledge(
    fn,
    "AwsSolutions::AwsSolutions-L1",
    "Pinned to nodejs22.x on purpose: the project's supported runtime (Node >= 20.19; users on 22 and 24); moving to a newer runtime is a tested change, not a silent one.",
  );
  acknowledge(
    fn,
    "Serverless::Serverless-LambdaLatestVersion",
    "Same as AwsSolutions-L1: nodejs22.x is pinned on purpose.",
  );
  acknowledge(fn, "Serverless::Serverless-LambdaDLQ", reasons.dlq);
  acknowledge(
    fn,
    "Serverless::Serverless-LambdaTracing",
    "X-Ray is billed per trace; the JSON access log (requestId, status, latencies, integrationErrorMessage) and the JSON function log carry what operators need. Turn tracing on here when debugging latency.",
  );
  acknowledge(
    fn,
    "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    "AWSLambdaBasicExecutionRole grants only CloudWatch Logs writes (CreateLogGroup, CreateLogStream, PutLogEvents), which the function needs for its logs.",
  );
  if (reasons.iam5) acknowledge(fn, "AwsSolutions::AwsSolutions-IAM5[Resource::*]", reasons.iam5);
}
