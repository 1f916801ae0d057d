// The local API: the app on Node's HTTP server with the embedded DuckDB store. Used by
// `npm run serve`, `npm start` and the integration tests, so they all run the same thing.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { appDeps, appFor } from "./app.ts";
import { loadLocalSecret } from "./auth/secret.ts";
import { chartPng } from "./charts/png.ts";
import { DEFAULT_WRITE_WINDOW_DAYS, MAX_FUTURE_MS } from "./config.ts";
import { duckDbParquetWriter } from "./export/duckdb-parquet.ts";
import { createServerWithDirectIngest } from "./ingest-listener.ts";
import type { LiveLimits } from "./live/stream.ts";
import { type LiveFeed, startLiveFeed } from "./live-feed.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "./mqtt/embedded-broker.ts";
import {
  connectExternalBroker,
  type ExternalBroker,
  type ExternalBrokerOptions,
} from "./mqtt/external-broker.ts";
import { publishLive } from "./mqtt/live-topics.ts";
import { ensurePrivateDir, warnIfShared } from "./private-files.ts";
import { answerProtocolErrors, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "./protocol-errors.ts";
import { fleetMinutesFrom, renderFleetMinutesQuery } from "./queries/fleet-minutes.ts";
import { queryTarget } from "./queries/sql.ts";
import { openDuckDbRegistry } from "./registry/duckdb-registry.ts";
import { registerFromReadingTags } from "./registry/from-reading-tags.ts";
import type { TurbineRegistry } from "./registry/port.ts";
import type { LayoutMigration, StatusConversion } from "./store/duckdb-readings-table.ts";
import { DUCKDB_FILE_NAME, type LogRecovery, openDuckDbStore } from "./store/duckdb-store.ts";
import type { ReadingStore } from "./store/port.ts";
import { type Clock, systemClock } from "./time/clock.ts";

export interface LocalServerOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Defaults to API_KEY_SECRET, else the secret file under dataDir. */
  keySecret?: string;
  writeWindowDays?: number;
  /** Refuse readings of turbines that are not registered (REQUIRE_REGISTERED). */
  requireRegistered?: boolean;
  /** The one clock of this server (default: the machine's); tests hand in their own. */
  clock?: Clock;
  /**
   * Where readings go when not the DuckDB file (STORE=influxdb). The DuckDB file under dataDir
   * is opened either way: it keeps what is not a reading (the registry, alarms).
   */
  readingStore?: ReadingStore;
  /** The whole request must arrive within this (default REQUEST_TIMEOUT_MS); tests shorten it. */
  requestTimeoutMs?: number;
  /** Alarm rules and webhook settings (default: process.env); see docs/live-and-alarms.md. */
  env?: NodeJS.ProcessEnv;
  /**
   * false: ingest does not feed the live view and the alarm engine (they still answer, with what
   * they saw before). Only for the ingest benchmark's baseline of what those hooks cost ingest.
   */
  liveHooks?: boolean;
  /** Caps on live streams (default DEFAULT_LIVE_LIMITS); tests lower them. */
  liveLimits?: Partial<LiveLimits>;
  /** Run gust's own MQTT broker on this port (MQTT_PORT; 0 picks a free one); see docs/mqtt.md. */
  mqttPort?: number;
  /** Also take MQTT over WebSockets on this port (MQTT_WS_PORT; 0 picks a free one); needs mqttPort. */
  mqttWsPort?: number;
  /** Subscribe to an existing broker's readings topics (MQTT_URL); see docs/mqtt.md. */
  mqttBroker?: ExternalBrokerOptions;
}

export interface LocalServer {
  url: string;
  store: ReadingStore;
  /** The fleet registry: table `turbines` in the DuckDB file. */
  registry: TurbineRegistry;
  /** Readings a stopped server had acknowledged but not yet put in the DuckDB file. */
  recoveredReadings: number;
  /** What opening the DuckDB file migrated from an earlier release's layout, if anything. */
  migration: LayoutMigration | null;
  /** What opening did to a status column that an earlier release stored as text. */
  statusConversion: StatusConversion | null;
  /** What opening found in the ingest log: applied, and lines lost or refused by file and line. */
  recovery: LogRecovery;
  /** Turbines the migration registered from their readings' tags. */
  registeredFromTags: number;
  keySecret: string;
  /** The live hub, alarm engine and webhook notifier of this server. */
  live: LiveFeed;
  /** gust's own MQTT broker, when mqttPort was given. */
  mqtt?: EmbeddedBroker;
  /** The existing broker gust subscribes to, when mqttBroker was given. */
  mqttBroker?: ExternalBroker;
  close(): Promise<void>;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  warnIfShared(options.dataDir);
  ensurePrivateDir(options.dataDir);
  const keySecret = options.keySecret ?? loadLocalSecret(process.env, options.dataDir);
  const embedded = await openDuckDbStore({
    path: join(options.dataDir, DUCKDB_FILE_NAME),
    writeWindow: {
      maxAgeMs: (options.writeWindowDays ?? DEFAULT_WRITE_WINDOW_DAYS) * 86_400_000,
      maxFutureMs: MAX_FUTURE_MS,
    },
  });
  const store = options.readingStore ?? embedded;
  const registryConnection = await embedded.connect();
  const clock = options.clock ?? systemClock;
  const registry = await openDuckDbRegistry(registryConnection, clock.now);
  // A file from before the registry: each turbine's latest reading tags become its entry.
  const registeredFromTags = embedded.migration
    ? await registerFromReadingTags(registry, embedded.migration.fromReadings)
    : 0;
  const live = await startLiveFeed({
    connect: () => embedded.connect(),
    listTurbines: () => registry.list(),
    // The power history after a restart: the embedded file's minutes (InfluxDB's start empty).
    ...(store === embedded
      ? {
          fleetMinutes: async (range: { from: number; to: number }) =>
            fleetMinutesFrom(
              await store.select(renderFleetMinutesQuery(queryTarget(store), range)),
            ),
        }
      : {}),
    env: options.env,
    clock,
    liveLimits: options.liveLimits,
  });
  const deps = appDeps({
    store,
    registry,
    requireRegistered: options.requireRegistered ?? false,
    keySecret: async () => keySecret,
    clock,
    parquet: duckDbParquetWriter(),
    png: chartPng,
    ...live.deps,
    ...(options.liveHooks === false
      ? { onReadingsStored: undefined, onReadingsRejected: undefined }
      : {}),
  });
  const app = appFor(deps);
  const host = options.host ?? "127.0.0.1";
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const server = serve({
    fetch: app.fetch,
    // POST /v1/measurements straight from node:http (api/ingest-listener.ts), the rest via Hono.
    createServer: createServerWithDirectIngest(deps),
    port: options.port ?? 0,
    hostname: host,
    serverOptions: {
      requestTimeout,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
      // How often Node looks for requests past their timeout (default 30 s, which doubles it).
      connectionsCheckingInterval: Math.min(1_000, requestTimeout),
    },
  }) as Server;
  answerProtocolErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const mqtt =
    options.mqttPort === undefined
      ? undefined
      : await startEmbeddedBroker(deps, {
          port: options.mqttPort,
          host,
          ...(options.mqttWsPort === undefined ? {} : { wsPort: options.mqttWsPort }),
        });
  const mqttBroker = options.mqttBroker && (await connectExternalBroker(deps, options.mqttBroker));
  // Stored readings and alarm events on the live topics of whichever broker there is.
  const stopLive = [mqtt, mqttBroker].flatMap((broker) =>
    broker ? [publishLive(live.hub, broker)] : [],
  );
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    store,
    registry,
    recoveredReadings: embedded.recoveredReadings,
    migration: embedded.migration,
    statusConversion: embedded.statusConversion,
    recovery: embedded.recovery,
    registeredFromTags,
    keySecret,
    live,
    ...(mqtt ? { mqtt } : {}),
    ...(mqttBroker ? { mqttBroker } : {}),
    async close() {
      for (const stop of stopLive) stop();
      await mqttBroker?.close();
      await mqtt?.close();
      // Stop taking requests, let in-flight ones finish their commits, then close the file.
      // Live streams never finish on their own: end them first.
      live.hub.endStreams();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await live.close();
      if (store !== embedded) await store.close();
      await registry.close();
      registryConnection.closeSync();
      await embedded.close();
    },
  };
}
