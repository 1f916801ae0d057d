// A real Mosquitto for tests: Debian's mosquitto (`apt-get install mosquitto`, installed by
// .ci/run) on a loopback port, with its own users (password file) and ACL, persistence in a
// temporary directory, removed on stop. Started is when it says it listens, not after a wait.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

const CANDIDATES = [process.env.MOSQUITTO_PATH, "/usr/sbin/mosquitto"];

export interface MosquittoServer {
  /** mqtt://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port>: the same broker's WebSockets listener. */
  wsUrl: string;
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** user name to password */
  users: Record<string, string>;
  /** The ACL file's text (mosquitto.conf(5), acl_file). */
  acl: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startMosquitto(options: MosquittoOptions): Promise<MosquittoServer> {
  const binary = CANDIDATES.find((path): path is string => !!path && existsSync(path));
  if (!binary) {
    throw new Error("mosquitto not found: install it with `apt-get install mosquitto`.");
  }
  const dir = mkdtempSync(join(tmpdir(), "gust-mosquitto-"));
  const passwords = join(dir, "passwd");
  writeFileSync(passwords, "");
  for (const [user, password] of Object.entries(options.users)) {
    execFileSync("mosquitto_passwd", ["-b", passwords, user, password]);
  }
  writeFileSync(join(dir, "acl"), options.acl);
  const port = await freePort();
  const wsPort = await freePort();
  writeFileSync(
    join(dir, "mosquitto.conf"),
    `# run as this user (as root mosquitto would switch to a user that cannot read ${dir})
user ${userInfo().username}
listener ${port} 127.0.0.1
listener ${wsPort} 127.0.0.1
protocol websockets
allow_anonymous false
password_file ${passwords}
acl_file ${join(dir, "acl")}
persistence true
persistence_location ${dir}/
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
`,
  );
  const child: ChildProcess = spawn(binary, ["-c", join(dir, "mosquitto.conf")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
      if (log.includes(" running")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`mosquitto exited with ${code}:\n${log}`)));
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
