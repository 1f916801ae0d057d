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

const headers = {
  authorization: `Bearer ${roleKey(TEST_SECRET, "operator")}`,
  "content-type": "application/json",
};

/** A server on a free port, and a promise of its exit. */
async function serveToKill(): Promise<{
  port: number;
  url: string;
  server: ChildProcess;
  exited: Promise<unknown>;
}> {
  const port = await freePort();
  const server = await startServe(port);
  const exited = new Promise((resolve) => server.once("exit", resolve));
  return { port, url: `http://127.0.0.1:${port}`, server, exited };
}

it("keeps every acknowledged reading across a SIGKILL", async () => {
  const { port, url, server, exited } = await serveToKill();

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

it("keeps every acknowledged reading across a SIGKILL when batches and single readings mix", async () => {
  // Batches of 500 from four gateways form groups large enough to be committed to the DuckDB
  // file directly; single readings from four turbines go through the ingest log, whose segment
  // now lives across several applies. A kill at any moment must lose no acknowledged reading.
  const { port, url, server, exited } = await serveToKill();
  const acknowledged: TestReading[] = [];
  let requests = 0;
  let stopped = false;
  const now = Date.now();
  const send = async (readings: TestReading[]) => {
    const response = await fetch(`${url}/v1/measurements`, {
      method: "POST",
      headers,
      body: JSON.stringify(readings.length === 1 ? readings[0] : { readings }),
    });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    const answer = (await response.json()) as { accepted: number };
    if (answer.accepted !== readings.length) throw new Error("not all accepted");
    acknowledged.push(...readings);
    // Killed after 120 answers, with other requests of both kinds in flight.
    if (++requests === 120 && !stopped) {
      stopped = true;
      server.kill("SIGKILL");
    }
  };
  const lane = async (turbine: string, size: number) => {
    for (let n = 0; ; n++) {
      const batch = Array.from({ length: size }, (_, i) =>
        reading(turbine, 0, { time: now - (n * size + i) * 1000, power_kw: n + i / 1000 }),
      );
      try {
        await send(batch);
      } catch {
        return; // the server is gone
      }
    }
  };
  await Promise.all([
    ...[0, 1, 2, 3].map((g) => lane(`gateway-${g}`, 500)),
    ...[0, 1, 2, 3].map((t) => lane(`single-${t}`, 1)),
  ]);
  await exited;
  expect(acknowledged.length).toBeGreaterThan(500);

  const restarted = await startServe(port);
  try {
    const readerHeaders = { authorization: `Bearer ${roleKey(TEST_SECRET, "reader")}` };
    for (const turbine of new Set(acknowledged.map((r) => r.turbine_id))) {
      const stored = new Map<string, number>();
      let from: string | null = new Date(now - 86_400_000).toISOString();
      while (from) {
        const page = (await fetch(
          `${url}/v1/turbines/${turbine}/measurements?from=${from}&limit=10000`,
          { headers: readerHeaders },
        ).then((r) => r.json())) as {
          readings: { time: string; power_kw: number }[];
          next_from: string | null;
        };
        for (const r of page.readings) stored.set(r.time, r.power_kw);
        from = page.next_from;
      }
      for (const r of acknowledged.filter((a) => a.turbine_id === turbine)) {
        expect(stored.get(new Date(r.time).toISOString())).toBe(r.power_kw);
      }
    }
  } finally {
    restarted.kill("SIGTERM");
    await new Promise((resolve) => restarted.once("exit", resolve));
  }
});
