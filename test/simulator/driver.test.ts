// The real simulator against the real local API: every reading accounted for, verified by
// reading back, re-sends counted as duplicates, retries through 503s, failures counted.
import { createServer, request as httpRequest, type Server } from "node:http";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeReport, runSimulation, type SimulationOptions } from "../../simulator/run.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

function captured(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { text: () => string };
  stream.text = () => chunks.join("");
  return stream;
}

const HOUR = 3_600_000;
const to = Math.floor(Date.now() / 60_000) * 60_000 - HOUR;
const base: SimulationOptions = {
  target: "",
  mode: "replay",
  turbines: 12,
  from: to - HOUR,
  to,
  stepMs: 60_000,
  keySecret: TEST_SECRET,
  verify: true,
};

describe("replay against the local API", () => {
  it("stores every reading once, proves it, and counts a re-send as duplicates", async () => {
    const out = captured();
    const first = await runSimulation({ ...base, target: server.url, out });
    expect(first.readings).toMatchObject({
      planned: 720,
      sent: 720,
      accepted: 720,
      duplicates: 0,
      failed: 0,
      rejected: {},
    });
    expect(first.verification).toMatchObject({ ok: true, checked: 720, missing: 0, turbines: 12 });
    expect(out.text()).toMatch(/sent 720 \| ack 720/);
    const stored = await server.store.select(
      "SELECT count(*) AS n, count(DISTINCT turbine_id) AS t FROM readings",
    );
    expect(stored[0]).toEqual({ n: 720, t: 12 });

    const again = await runSimulation({
      ...base,
      target: server.url,
      out: captured(),
      operator: true,
      batch: 500,
    });
    expect(again.readings).toMatchObject({ accepted: 0, duplicates: 720, failed: 0 });
    expect(again.verification?.ok).toBe(true);
  });

  it("provisions its fleet in the registry once, and sends readings without metadata", async () => {
    const turbines = await server.registry.list();
    const nl1 = turbines.find((t) => t.turbine_id === "nl-0001");
    expect(turbines.filter((t) => t.turbine_id.startsWith("nl-"))).toHaveLength(12);
    expect(nl1?.rated_kw).toBeGreaterThan(0);
    expect(nl1?.tags.province).toBeTruthy();
    const rows = await server.store.select(
      "SELECT DISTINCT CAST(tags AS VARCHAR) AS tags FROM readings WHERE turbine_id = 'nl-0001'",
    );
    expect(rows).toEqual([{ tags: "{}" }]);
    // A third run (same fleet) changes nothing in the registry.
    const before = new Map(turbines.map((t) => [t.turbine_id, t.etag]));
    const third = await runSimulation({ ...base, target: server.url, out: captured() });
    expect(third.provisioned).toEqual({ created: 0, replaced: 0, unchanged: 0, kept: 12 });
    const after = await server.registry.list();
    expect(new Map(after.map((t) => [t.turbine_id, t.etag]))).toEqual(before);
  });

  it("sends with a rotated turbine's current key, and leaves an operator's registration as it is", async () => {
    const operator = { authorization: `Bearer ${server.operatorKey}` };
    // An operator describes nl-0002 by hand and rotates nl-0003's key.
    await fetch(`${server.url}/v1/turbines/nl-0002`, {
      method: "PUT",
      headers: { ...operator, "content-type": "application/json" },
      body: JSON.stringify({ rated_kw: 1234, name: "hand-registered" }),
    });
    const rotated = await fetch(`${server.url}/v1/turbines/nl-0003/keys/rotate`, {
      method: "POST",
      headers: operator,
    });
    expect(rotated.status).toBe(200);
    const out = captured();
    const report = await runSimulation({
      ...base,
      target: server.url,
      turbines: 4,
      from: to - 6 * HOUR,
      to: to - 5 * HOUR,
      out,
    });
    expect(report.readings).toMatchObject({ planned: 240, accepted: 240, failed: 0, rejected: {} });
    expect(report.verification?.ok).toBe(true);
    expect(report.provisioned).toMatchObject({ created: 0, replaced: 0, kept: 4 });
    expect(out.text()).toMatch(
      /4 already registered and left as they are \(--replace-registrations/,
    );
    expect((await server.registry.get("nl-0002"))?.rated_kw).toBe(1234);
  });
});

/** A real proxy in front of the API that answers 503 to the first `failures` requests. */
async function flakyProxy(
  target: string,
  failures: number,
): Promise<{ url: string; server: Server }> {
  let failed = 0;
  const proxy = createServer((req, res) => {
    if (failed < failures) {
      failed++;
      req.resume();
      res.writeHead(503, { "content-type": "application/problem+json", "retry-after": "0" });
      res.end(
        '{"type":"urn:gust:problem:store-unavailable","title":"Store unavailable","status":503,"detail":"busy"}',
      );
      return;
    }
    const upstream = httpRequest(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server: proxy };
}

describe("retries and failures", () => {
  it("re-sends through 503s and still stores everything exactly once", async () => {
    const proxy = await flakyProxy(server.url, 5);
    try {
      const report = await runSimulation({
        ...base,
        target: proxy.url,
        turbines: 3,
        from: to - 3 * HOUR,
        to: to - 2 * HOUR,
        out: captured(),
      });
      expect(report.retries).toBeGreaterThanOrEqual(5);
      expect(report.readings).toMatchObject({ accepted: 180, failed: 0 });
      expect(report.verification?.ok).toBe(true);
    } finally {
      proxy.server.close();
    }
  });

  it("counts readings that still fail after the last attempt, never dropping them silently", async () => {
    const proxy = await flakyProxy(server.url, 1_000_000);
    try {
      const report = await runSimulation({
        ...base,
        target: proxy.url,
        turbines: 2,
        maxAttempts: 2,
        verify: false,
        out: captured(),
      });
      expect(report.readings).toMatchObject({ sent: 120, accepted: 0, failed: 120 });
      // Provisioning failed too; it is reported, and the readings were still sent.
      expect(report.failures[0]).toMatch(/registry: the fleet was not provisioned: .*503/);
      expect(report.failures[1]).toMatch(
        /failed after 2 attempt\(s\): HTTP 503: Store unavailable/,
      );
    } finally {
      proxy.server.close();
    }
  });

  it("counts window rejections by reason", async () => {
    const report = await runSimulation({
      ...base,
      target: server.url,
      turbines: 2,
      from: Date.now() - 9 * 24 * HOUR,
      to: Date.now() - 9 * 24 * HOUR + 10 * 60_000,
      verify: false,
      out: captured(),
    });
    expect(report.readings.rejected).toEqual({ too_old: 20 });
    expect(report.readings.accepted).toBe(0);
    // The summary passes on the API's reason and says what to do next.
    expect(describeReport(report)).toMatch(
      /too_old: older than the write window of 7 days \(earliest accepted: .*\); replay a window the API still accepts/,
    );
  });
});
