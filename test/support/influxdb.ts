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

export async function startInfluxDb(): Promise<InfluxDbServer> {
  const binary = CANDIDATES.find((path): path is string => !!path && existsSync(path));
  if (!binary) {
    throw new Error(
      "influxd not found: install it with `apt-get install influxdb` (or set INFLUXD_PATH).",
    );
  }
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
      throw new Error(`influxd exited with ${child.exitCode} at start:\n${log}`);
    }
    try {
      if ((await fetch(`${url}/ping`)).status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`influxd did not answer /ping within 30 s:\n${log}`);
    }
    // influxd says nothing on stdout when it listens: asking /ping again is the only readiness
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
