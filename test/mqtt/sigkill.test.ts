// Acknowledged means stored, across a crash: gust is killed (SIGKILL) after a device's QoS 1
// publish left and before its PUBACK came; the device resends to the restarted gust, and the
// readings are stored exactly once.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mqtt from "mqtt";
import { afterAll, expect, it } from "vitest";
import { turbineKey } from "../../api/auth/keys.ts";
import { readingsTopic } from "../../api/mqtt/topics.ts";
import { reading, startTestServer, TEST_SECRET } from "../api/fixture.ts";

const repo = resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "gust-mqtt-kill-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** `npm run serve` with its MQTT broker, resolved once it says where it listens. */
async function serve(mqttPort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(repo, "api/serve.ts")], {
    cwd: repo,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: "0",
      MQTT_PORT: String(mqttPort),
      API_KEY_SECRET: TEST_SECRET,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((done, fail) => {
    let text = "";
    child.stdout?.on("data", (chunk) => {
      text += chunk;
      if (text.includes("docs:")) done();
    });
    child.once("exit", (code) => fail(new Error(`serve exited with ${code}: ${text}`)));
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise((done) => (child.exitCode !== null ? done(null) : child.once("exit", done)));

it("stores a batch exactly once when gust dies between publish and PUBACK", async () => {
  const port = await freePort();
  let gust = await serve(port);
  const now = Date.now();
  const batch = {
    readings: Array.from({ length: 500 }, (_, i) => reading("kill-1", 500 - i, {}, now)),
  };
  const device = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: "kill-1",
    clean: false,
    username: "kill-1",
    password: turbineKey(TEST_SECRET, "kill-1"),
    reconnectPeriod: 100,
  });
  await new Promise((done) => device.once("connect", done));
  let killed = false;
  device.on("packetsend", (packet) => {
    // The publish is on the wire; gust dies before it can answer.
    if (packet.cmd === "publish" && !killed) {
      killed = true;
      gust.kill("SIGKILL");
    }
  });
  let acknowledged = false;
  const puback = device
    .publishAsync(readingsTopic("kill-1"), JSON.stringify(batch), { qos: 1 })
    .then(() => {
      acknowledged = true;
    });
  await exited(gust);
  expect(killed).toBe(true);
  expect(acknowledged).toBe(false);
  // The same port again: the device reconnects on its own and sends the publish again.
  gust = await serve(port);
  await puback;
  await device.endAsync();
  gust.kill("SIGTERM");
  await exited(gust);

  const server = await startTestServer({ dataDir });
  const stored = await server.stored("kill-1");
  await server.stop();
  expect(stored).toHaveLength(500);
  expect(new Set(stored.map((r) => r.time)).size).toBe(500);
});
