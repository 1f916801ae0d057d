// Local configuration from the environment, with the defaults the README's Configuration table documents.
import { resolve } from "node:path";

export const DEFAULT_WRITE_WINDOW_DAYS = 7;
/** Timestream's own limit on future timestamps; the embedded store keeps the same. */
export const MAX_FUTURE_MS = 15 * 60 * 1000;

export const STORE_KINDS = ["duckdb", "timestream", "influxdb"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface LocalConfig {
  port: number;
  host: string;
  dataDir: string;
  store: StoreKind;
  writeWindowDays: number;
  requireRegistered: boolean;
  /** MQTT_PORT: gust's own MQTT broker on this port (on HOST); unset: no broker (docs/mqtt.md). */
  mqttPort?: number;
  /** MQTT_WS_PORT: the same broker also takes MQTT over WebSockets on this port (docs/mqtt.md). */
  mqttWsPort?: number;
  /** MQTT_URL: an existing broker whose readings topics gust subscribes to (docs/mqtt.md). */
  mqttBroker?: { url: string; username?: string; password?: string; clientId: string };
}

export function readLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const store = env.STORE ?? "duckdb";
  if (!(STORE_KINDS as readonly string[]).includes(store)) {
    throw new Error(`STORE must be "duckdb", "timestream" or "influxdb", not "${store}".`);
  }
  return {
    port: portNumber(env, "PORT", 3000),
    host: env.HOST ?? "127.0.0.1",
    dataDir: resolve(env.DATA_DIR ?? "./data"),
    store: store as StoreKind,
    writeWindowDays: positiveInteger(env, "WRITE_WINDOW_DAYS", DEFAULT_WRITE_WINDOW_DAYS),
    requireRegistered: booleanFlag(env, "REQUIRE_REGISTERED"),
    ...(env.MQTT_PORT ? { mqttPort: portNumber(env, "MQTT_PORT", 1883) } : {}),
    ...(env.MQTT_WS_PORT ? { mqttWsPort: mqttWsPort(env) } : {}),
    ...(env.MQTT_URL
      ? {
          mqttBroker: {
            url: env.MQTT_URL,
            clientId: env.MQTT_CLIENT_ID || "gust-ingest",
            ...(env.MQTT_USERNAME ? { username: env.MQTT_USERNAME } : {}),
            ...(env.MQTT_PASSWORD ? { password: env.MQTT_PASSWORD } : {}),
          },
        }
      : {}),
  };
}

/** MQTT over WebSockets is a second listener of gust's own broker: it needs MQTT_PORT. */
function mqttWsPort(env: NodeJS.ProcessEnv): number {
  if (!env.MQTT_PORT) {
    throw new Error(
      "MQTT_WS_PORT is a WebSocket listener of gust's own MQTT broker: set MQTT_PORT too.",
    );
  }
  return portNumber(env, "MQTT_WS_PORT", 8083);
}

/** A true/false setting; unset or empty is false. */
export function booleanFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? "").trim().toLowerCase();
  if (raw === "" || raw === "false" || raw === "0" || raw === "no") return false;
  if (raw === "true" || raw === "1" || raw === "yes") return true;
  throw new Error(`${name} must be true or false, not "${env[name]}".`);
}

export function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number, not "${raw}".`);
  }
  return value;
}

/** A TCP port; 0 lets the system pick a free one (the chosen URL is printed at start). */
export function portNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new Error(`${name} must be a port number 0-65535, not "${raw}".`);
  }
  return value;
}
