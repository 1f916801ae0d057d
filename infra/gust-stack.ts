// The whole cloud path in one stack: Timestream database and table, the key secret, the API
// Lambda, and the HTTP API in front of it, with least-privilege IAM, logs and alarms.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Alias, Architecture, type IFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { CfnDatabase, CfnTable } from "aws-cdk-lib/aws-timestream";
import type { Construct } from "constructs";
import type { GustStackConfig } from "./config.ts";
import { InfluxDbReadingStore } from "./influxdb-variant.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DOCS_ASSETS = ["swagger-ui.css", "swagger-ui-bundle.js"];
/** The app's write window on Lambda, clamped to what the table keeps. */
const WRITE_WINDOW_HOURS = 7 * 24;

/** The routes the app serves; API Gateway answers anything else itself. */
export const API_ROUTES: [HttpMethod, string][] = [
  [HttpMethod.POST, "/v1/measurements"],
  [HttpMethod.GET, "/v1/turbines/{turbine_id}/measurements"],
  [HttpMethod.GET, "/v1/power"],
  [HttpMethod.GET, "/healthz"],
  [HttpMethod.GET, "/openapi.json"],
  [HttpMethod.GET, "/docs"],
  [HttpMethod.GET, "/docs/{asset}"],
];

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
    // is in maintenance mode. Existing customers keep using it; see the README.
    if (!config.existingDatabase && !influx) {
      const database = new CfnDatabase(this, "Database", { databaseName });
      database.applyRemovalPolicy(RemovalPolicy.RETAIN);
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
        // Late readings (older than the memory store keeps) go to the magnetic store, not lost.
        magneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
      });
      table.applyRemovalPolicy(RemovalPolicy.RETAIN);
      const database = this.node.tryFindChild("Database") as CfnDatabase | undefined;
      if (database) table.addResourceDependency(database);
    }
    const tableArn = Stack.of(this).formatArn({
      service: "timestream",
      resource: "database",
      resourceName: `${databaseName}/table/${tableName}`,
    });

    const secret = new Secret(this, "ApiKeySecret", {
      description: "gust: the secret every API key is derived from (HMAC-SHA256)",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    const logGroup = new LogGroup(this, "ApiFunctionLogs", {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const swaggerUiDist = dirname(
      createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"),
    );
    const fn = new NodejsFunction(this, "ApiFunction", {
      entry: join(ROOT, "api/lambda.ts"),
      depsLockFilePath: join(ROOT, "package-lock.json"),
      projectRoot: ROOT,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      // Validation and JSON are CPU-bound; Lambda gives CPU in proportion to memory, and 1 GB
      // answers a 1000-reading batch well inside the time a turbine waits.
      memorySize: 1024,
      // Store retries stop one second before this, so a slow Timestream becomes a 503 the
      // client retries, not a timeout; API Gateway's own limit is 30 s.
      timeout: Duration.seconds(15),
      reservedConcurrentExecutions: config.reservedConcurrency,
      logGroup,
      environment: {
        ...(influx?.environment ?? {
          STORE: "timestream",
          TIMESTREAM_DATABASE: databaseName,
          TIMESTREAM_TABLE: tableName,
        }),
        API_KEY_SECRET_ARN: secret.secretArn,
        DOCS_ASSETS_DIR: "/var/task/docs-assets",
        WRITE_WINDOW_HOURS: String(Math.min(WRITE_WINDOW_HOURS, config.magneticRetentionDays * 24)),
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        target: "node22",
        format: OutputFormat.ESM,
        mainFields: ["module", "main"],
        banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
        // The docs page's assets travel in the bundle: /docs must work without a CDN.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) => [
            `mkdir -p "${output}/docs-assets"`,
            ...DOCS_ASSETS.map(
              (file) => `cp "${join(swaggerUiDist, file)}" "${output}/docs-assets/${file}"`,
            ),
          ],
        },
      },
    });
    secret.grantRead(fn);
    if (influx) influx.attach(fn);
    else {
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["timestream:WriteRecords", "timestream:Select"],
          resources: [tableArn],
        }),
      );
      // DescribeEndpoints has no resource form: it can only be granted on "*".
      fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ["timestream:DescribeEndpoints"],
          resources: ["*"],
        }),
      );
    }

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
            corsPreflight: {
              allowOrigins: config.corsOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST],
              allowHeaders: ["authorization", "content-type", "content-encoding"],
            },
          }
        : {}),
    });
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
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });

    new Alarm(this, "ApiFunctionErrors", {
      alarmDescription: "gust API Lambda errors (unhandled failures, not 4xx answers)",
      metric: fn.metricErrors({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new Alarm(this, "ApiFunctionThrottles", {
      alarmDescription:
        "gust API Lambda throttled: raise reserved concurrency or the account limit",
      metric: fn.metricThrottles({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    new CfnOutput(this, "ApiUrl", {
      value: stage.url,
      description: "Point turbines and `npm run simulate -- --target` here",
    });
    if (!influx) new CfnOutput(this, "TimestreamTable", { value: `${databaseName}.${tableName}` });
    new CfnOutput(this, "ApiKeySecretName", {
      value: secret.secretName,
      description: "Keys derive from this secret: see README, Deploy",
    });
  }
}
