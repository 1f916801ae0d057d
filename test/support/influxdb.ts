// A real InfluxDB for tests and benchmarks: Debian's influxd 1.6 (`apt-get install influxdb`,
// installed by .ci/run) on loopback ports, in a temporary directory, removed on stop. It serves
// the v1 `/write` and `/query` endpoints that InfluxDB 1.x, 2.x and 3.x share.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const CANDIDATES = [process.env.INFLUXD_PATH, "/usr/bin/influxd"];

export interface InfluxDbServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Creates a database (idempotent) and returns its name. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** A free loopback TCP port (the system picks it; influxd cannot take port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  // wal-fsync-delay 0s: a 204 from /write means the WAL was fsync'ed, as gust promises.
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, "meta")}"
  logging-enabled = false
[data]
  dir = "${join(dir, "data")}"
  wal-dir = "${join(dir, "wal")}"
  wal-fsync-delay = "0s"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  pprof-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
`;
}

/** The pid of the influxd answering at `url`, or undefined while nothing answers there. */
async function answeringPid(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/query?q=${encodeURIComponent("SHOW DIAGNOSTICS")}`);
    if (!response.ok) return undefined;
    const body = (await response.json()) as {
      results?: { series?: { name: string; columns: string[]; values: unknown[][] }[] }[];
    };
    const system = body.results?.[0]?.series?.find((series) => series.name === "system");
    const pid = system?.values[0]?.[system.columns.indexOf("PID")];
    return typeof pid === "number" ? pid : undefined;
  } catch {
    return undefined; // not listening yet
  }
}

/**
 * Starts influxd. Its ports are picked free, then bound by influxd a moment later: another test
 * process can take one in between (test files run in parallel). So the server is ours only when
 * the process answering on the port has our child's pid; otherwise it starts again on new ports.
 */
export async function startInfluxDb(): Promise<InfluxDbServer> {
  const binary = CANDIDATES.find((path): path is string => !!path && existsSync(path));
  if (!binary) {
    throw new Error(
      "influxd not found: install it with `apt-get install influxdb` (or set INFLUXD_PATH).",
    );
  }
  for (let attempt = 1; ; attempt++) {
    const server = await startOnce(binary);
    if (server !== "port taken") return server;
    if (attempt === 5) throw new Error("influxd: its ports were taken by other processes 5 times");
  }
}

async function startOnce(binary: string): Promise<InfluxDbServer | "port taken"> {
  const dir = mkdtempSync(join(tmpdir(), "gust-influxdb-"));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const configPath = join(dir, "influxdb.conf");
  writeFileSync(configPath, config(dir, httpPort, rpcPort));
  const child: ChildProcess = spawn(binary, ["-config", configPath], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      // A real grace period: influxd is another process, on the machine's clock, not the test's.
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      if (/address already in use/.test(log)) return "port taken";
      throw new Error(`influxd exited with ${child.exitCode} at start:\n${log}`);
    }
    const pid = await answeringPid(url);
    if (pid === child.pid) break;
    if (pid !== undefined) {
      await stop();
      return "port taken";
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`influxd did not answer within 30 s:\n${log}`);
    }
    // influxd says nothing on stdout when it listens: asking again is the only readiness
    // signal it gives, and it answers on the machine's clock, not the test's.
    await sleep(50);
  }
  return {
    url,
    async createDatabase(name) {
      const body = new URLSearchParams({ q: `CREATE DATABASE "${name.replaceAll('"', '\\"')}"` });
      const response = await fetch(`${url}/query`, { method: "POST", body });
      if (!response.ok) throw new Error(`CREATE DATABASE ${name}: ${await response.text()}`);
      return name;
    },
    stop,
  };
}
