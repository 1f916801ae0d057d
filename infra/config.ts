// What a deployment may choose, read from CDK context (cdk.json, or `-c key=value`), with the
// defaults docs/aws.md documents.
import type { Node } from "constructs";
import { type InfluxDbVariantConfig, influxDbConfigFromContext } from "./influxdb-variant.ts";

export interface GustStackConfig {
  /** Readings in InfluxDB instead of Timestream (`-c gust:store=influxdb`), see influxdb-variant.ts. */
  influxdb?: InfluxDbVariantConfig;
  /** Use an existing Timestream database and table instead of creating them. */
  existingDatabase?: string;
  existingTable?: string;
  databaseName: string;
  tableName: string;
  /**
   * Hours readings stay in the memory store (fast writes and queries). Also the API's write
   * window on Timestream: older readings are answered too_old (magnetic-store writes are off).
   */
  memoryRetentionHours: number;
  /** Days readings stay in the magnetic store before Timestream deletes them. */
  magneticRetentionDays: number;
  /** Steady requests per second, and the burst, that the API stage admits. */
  throttleRateLimit: number;
  throttleBurstLimit: number;
  /** Browser origins allowed to call the API; none means CORS is off. */
  corsOrigins: string[];
  reservedConcurrency?: number;
  provisionedConcurrency?: number;
  logRetentionDays: number;
  /** Where the scheduled alarm evaluation POSTs alarm events (`-c gust:alarmWebhookUrl=`). */
  alarmWebhookUrl?: string;
  /** An e-mail address subscribed to the alarm topic (`-c gust:alarmEmail=`). */
  alarmEmail?: string;
}

export const DEFAULT_CONFIG: GustStackConfig = {
  databaseName: "gust",
  tableName: "readings",
  // A week of backfill for a turbine that was offline, as the embedded store's default window.
  memoryRetentionHours: 168,
  magneticRetentionDays: 3650,
  throttleRateLimit: 500,
  throttleBurstLimit: 1000,
  corsOrigins: [],
  logRetentionDays: 30,
  reservedConcurrency: 50,
};

function numberFrom(node: Node, key: string, fallback: number | undefined): number | undefined {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`context ${key} must be a number, not "${raw}"`);
  return value;
}

export function configFromContext(node: Node): GustStackConfig {
  const text = (key: string) => {
    const value = node.tryGetContext(key);
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const origins = node.tryGetContext("gust:corsOrigins");
  return {
    influxdb: influxDbConfigFromContext(node),
    existingDatabase: text("gust:existingDatabase"),
    existingTable: text("gust:existingTable"),
    databaseName: text("gust:databaseName") ?? DEFAULT_CONFIG.databaseName,
    tableName: text("gust:tableName") ?? DEFAULT_CONFIG.tableName,
    memoryRetentionHours: numberFrom(
      node,
      "gust:memoryRetentionHours",
      DEFAULT_CONFIG.memoryRetentionHours,
    ) as number,
    magneticRetentionDays: numberFrom(
      node,
      "gust:magneticRetentionDays",
      DEFAULT_CONFIG.magneticRetentionDays,
    ) as number,
    throttleRateLimit: numberFrom(
      node,
      "gust:throttleRateLimit",
      DEFAULT_CONFIG.throttleRateLimit,
    ) as number,
    throttleBurstLimit: numberFrom(
      node,
      "gust:throttleBurstLimit",
      DEFAULT_CONFIG.throttleBurstLimit,
    ) as number,
    corsOrigins: Array.isArray(origins)
      ? origins
      : typeof origins === "string" && origins
        ? origins.split(",")
        : [],
    // "none" reserves nothing (accounts whose concurrency quota is too small to reserve from).
    reservedConcurrency:
      node.tryGetContext("gust:reservedConcurrency") === "none"
        ? undefined
        : numberFrom(node, "gust:reservedConcurrency", DEFAULT_CONFIG.reservedConcurrency),
    provisionedConcurrency: numberFrom(node, "gust:provisionedConcurrency", undefined),
    logRetentionDays: numberFrom(
      node,
      "gust:logRetentionDays",
      DEFAULT_CONFIG.logRetentionDays,
    ) as number,
    alarmWebhookUrl: webhookUrl(text("gust:alarmWebhookUrl")),
    alarmEmail: alarmEmail(text("gust:alarmEmail")),
  };
}

function alarmEmail(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
    throw new Error(`context gust:alarmEmail must be an e-mail address, not "${address}"`);
  }
  return address;
}

function webhookUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(url)) {
    throw new Error(`context gust:alarmWebhookUrl must be an http(s) URL, not "${url}"`);
  }
  return url;
}
