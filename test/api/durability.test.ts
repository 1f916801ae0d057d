// A 200 means durable: readings acknowledged just before a SIGKILL are there after a restart.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { roleKey } from "../../api/auth/keys.ts";
import { reading, TEST_SECRET, type TestReading } from "./fixture.ts";

const dataDir = mkdtempSync(join(tmpdir(), "gust-kill-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `npm run serve` as a real child process; resolves once it listens. */
async function startServe(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "api/serve.ts"], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), API_KEY_SECRET: TEST_SECRET },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      if (output.includes("gust API on")) resolve();
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  return child;
}

it("keeps every acknowledged reading across a SIGKILL", async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const headers = {
    authorization: `Bearer ${roleKey(TEST_SECRET, "operator")}`,
    "content-type": "application/json",
  };
  const server = await startServe(port);
  const exited = new Promise((resolve) => server.once("exit", resolve));

  // Eight senders post until the kill; the kill comes right after the 300th acknowledgement,
  // while other requests are still in flight.
  const acknowledged: TestReading[] = [];
  let sent = 0;
  const now = Date.now();
  const sender = async (lane: number) => {
    for (;;) {
      const body = reading(`kill-${lane}`, 0, { time: now - sent++ * 1000 });
      try {
        const response = await fetch(`${url}/v1/measurements`, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
        });
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        const answer = (await response.json()) as { accepted: number };
        if (answer.accepted === 1) acknowledged.push(body);
        if (acknowledged.length === 300) server.kill("SIGKILL");
      } catch {
        return; // the server is gone
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, lane) => sender(lane)));
  await exited;
  expect(acknowledged.length).toBeGreaterThanOrEqual(300);

  const restarted = await startServe(port);
  try {
    const readerHeaders = { authorization: `Bearer ${roleKey(TEST_SECRET, "reader")}` };
    for (let lane = 0; lane < 8; lane++) {
      const expected = acknowledged
        .filter((r) => r.turbine_id === `kill-${lane}`)
        .map((r) => new Date(r.time).toISOString());
      const answer = await fetch(
        `${url}/v1/turbines/kill-${lane}/measurements?from=${now - 3_600_000}&limit=10000`,
        { headers: readerHeaders },
      ).then((r) => r.json() as Promise<{ readings: { time: string }[] }>);
      const stored = new Set(answer.readings.map((r: { time: string }) => r.time));
      for (const time of expected) expect(stored.has(time)).toBe(true);
    }
  } finally {
    restarted.kill("SIGTERM");
    await new Promise((resolve) => restarted.once("exit", resolve));
  }
});
