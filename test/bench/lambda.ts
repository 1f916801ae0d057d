// The deployed Lambda asset's size and cold start, against a hello-world handler built in the
// same run by the same bundler (infra/lambda-bundle.ts: exactly what the CDK stack uploads), and
// against two peers that show what the stack itself costs (test/bench/lambda-peers): a Hono
// hello-world (Hono's adapter and Node's web Request/Response) and the stack's floor (one
// @hono/zod-openapi route with zod validation answered by one Timestream Query via the SDK).
//
// Cold start: a fresh `node` process, from its own start to its first answered event, timed by
// the process itself (performance.now()), and its CPU time. Three events for gust: a turbine's
// readings read back (the real SDK's Query against the fake Timestream on the wire, on
// loopback), a turbine's POST of one reading (the registry's DynamoDB lookup, Timestream's
// duplicate lookup and WriteRecords, against the wire fakes; answered without Hono, see
// api/lambda-ingest.ts), and GET /openapi.json (the document built at first request). The
// hello-world handler answers a constant. Runs are interleaved so that the machine's load hits
// all alike.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { roleKey } from "../../api/auth/keys.ts";
import { bundleLambda } from "../../infra/lambda-bundle.ts";
import { startWireDynamoDb } from "../registry/wire-dynamodb.ts";
import { startWireTimestream } from "../timestream/wire-timestream.ts";
import type { Benchmark } from "./figure.ts";

const RUNS = 9;
const PEERS = join(dirname(fileURLToPath(import.meta.url)), "lambda-peers");
const ASSET_BUDGET_KIB = 400;
const COLD_START_RATIO_GOAL = 1.5;
const SECRET = "bench-secret-0123456789abcdef";

const HELLO_WORLD = `export const handler = async () => ({ statusCode: 200, body: "hello" });\n`;

// Runs in the fresh process: import the handler, answer one payload-2.0 event, print ms since
// start and the CPU time the process used (user + system, all its threads) by then.
function coldStartScript(file: string, method: string, path: string, body?: object): string {
  return `
const { handler } = await import(${JSON.stringify(file)});
const body = ${JSON.stringify(body === undefined ? null : JSON.stringify(body))};
const event = { version: "2.0", routeKey: "${method} ${path}", rawPath: "${path}", rawQueryString: "",
  headers: { host: "x.execute-api.eu-west-1.amazonaws.com", "content-type": "application/json",
    authorization: "Bearer ${roleKey(SECRET, "operator")}" },
  requestContext: { http: { method: "${method}", path: "${path}", protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "bench" },
    requestId: "r", routeKey: "${method} ${path}", stage: "$default", timeEpoch: Date.now() },
  ...(body === null ? {} : { body }), isBase64Encoded: false };
const answer = await handler(event, { getRemainingTimeInMillis: () => 10000 });
if (answer.statusCode !== 200) throw new Error("status " + answer.statusCode + " " + answer.body);
const cpu = process.cpuUsage();
console.log(JSON.stringify({ ms: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 }));
`;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export const bench: Benchmark = async (log) => {
  const dir = mkdtempSync(join(tmpdir(), "gust-lambda-bench-"));
  const wire = await startWireTimestream();
  const dynamodb = await startWireDynamoDb("turbines");
  try {
    const gust = await bundleLambda(join(dir, "gust"));
    const helloEntry = join(dir, "hello.mjs");
    writeFileSync(helloEntry, HELLO_WORLD);
    const peer = (name: string, entry: string) =>
      bundleLambda(join(dir, name), { entry, docsAssets: false });
    const hello = await peer("hello", helloEntry);
    const honoHello = await peer("hono-hello", join(PEERS, "hono-hello.ts"));
    const floor = await peer("stack-floor", join(PEERS, "stack-floor.ts"));
    const mapKiB = readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((name) => name.startsWith("gust") && name.endsWith(".mjs.map"))
      .reduce((sum, name) => sum + statSync(join(dir, name)).size / 1024, 0);
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    log(
      `asset: index.mjs and chunks/*.mjs ${kib(gust.bytes)} (+ ${mapKiB.toFixed(0)} KiB of source maps, not loaded; docs-assets); hello-world ${(hello.bytes / 1024).toFixed(1)} KiB, Hono hello-world ${kib(honoHello.bytes)}, stack floor ${kib(floor.bytes)}`,
    );
    const env = {
      PATH: process.env.PATH,
      API_KEY_SECRET: SECRET,
      TIMESTREAM_DATABASE: "gust",
      TIMESTREAM_TABLE: "readings",
      TIMESTREAM_ENDPOINT: wire.url,
      TIMESTREAM_QUERY_ENDPOINT: wire.url,
      REGISTRY_TABLE: "turbines",
      DYNAMODB_ENDPOINT: dynamodb.url,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "example",
    };
    // Asynchronous: the fake Timestream answers from this process's event loop.
    // Asynchronous: the fake Timestream answers from this process's event loop.
    const run = async (script: string) =>
      JSON.parse(
        (
          await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
            env,
            encoding: "utf8",
          })
        ).stdout.trim(),
      ) as { ms: number; cpuMs: number };
    type Run = { ms: number; cpuMs: number };
    const runs = {
      hello: [] as Run[],
      honoHello: [] as Run[],
      floor: [] as Run[],
      read: [] as Run[],
      write: [] as Run[],
      openapi: [] as Run[],
    };
    const readPath = (i: number) => `/v1/turbines/bench-${i}/measurements`;
    for (let i = 0; i < RUNS; i++) {
      runs.hello.push(await run(coldStartScript(hello.file, "GET", "/")));
      runs.honoHello.push(await run(coldStartScript(honoHello.file, "GET", readPath(i))));
      runs.floor.push(await run(coldStartScript(floor.file, "GET", readPath(i))));
      runs.read.push(await run(coldStartScript(gust.file, "GET", readPath(i))));
      const reading = {
        turbine_id: `bench-${i}`,
        time: Date.now() - 60_000,
        power_kw: 1200,
        wind_speed_ms: 8.5,
      };
      runs.write.push(await run(coldStartScript(gust.file, "POST", "/v1/measurements", reading)));
      runs.openapi.push(await run(coldStartScript(gust.file, "GET", "/openapi.json")));
    }
    const times = Object.fromEntries(
      Object.entries(runs).map(([name, list]) => [name, list.map((r) => r.ms)]),
    ) as Record<keyof typeof runs, number[]>;
    // CPU time is what a loaded machine disturbs least (wall time also waits for the cores).
    const cpu = Object.fromEntries(
      Object.entries(runs).map(([name, list]) => [name, median(list.map((r) => r.cpuMs))]),
    ) as Record<keyof typeof runs, number>;
    for (const [name, list] of Object.entries(times))
      log(
        `cold start ${name}, ${RUNS} runs: ${list.map((t) => t.toFixed(0)).join(", ")} ms (min ${Math.min(...list).toFixed(1)}); CPU time median ${cpu[name as keyof typeof runs].toFixed(1)} ms`,
      );
    const helloMs = median(times.hello);
    const floorMs = median(times.floor);
    log(
      `wall time: gust's read over the stack floor ${(median(times.read) / floorMs).toFixed(2)}x, the floor over hello-world ${(floorMs / helloMs).toFixed(2)}x; CPU time: ${(cpu.read / cpu.floor).toFixed(2)}x and ${(cpu.floor / cpu.hello).toFixed(2)}x, gust's read over hello-world ${(cpu.read / cpu.hello).toFixed(2)}x, its write ${(cpu.write / cpu.hello).toFixed(2)}x`,
    );
    const figure = (name: string, list: number[]) => {
      const ms = median(list);
      return {
        name: `Lambda cold start, fresh node to first answered ${name} (median)`,
        value: ms,
        unit: "ms",
        ratio: { value: ms / helloMs, of: "hello-world handler" },
        target: {
          text: `within ${COLD_START_RATIO_GOAL}x of hello-world (${(helloMs * COLD_START_RATIO_GOAL).toFixed(0)} ms)`,
          met: ms <= helloMs * COLD_START_RATIO_GOAL,
        },
      };
    };
    const peerFigure = (name: string, list: number[]) => ({
      name: `Lambda cold start, ${name} (median)`,
      value: median(list),
      unit: "ms",
      ratio: { value: median(list) / helloMs, of: "hello-world handler" },
    });
    return [
      {
        name: "Lambda asset, index.mjs + chunks (what CDK uploads; bundled SDK, minified ESM)",
        value: gust.bytes / 1024,
        unit: "KiB",
        target: { text: `<= ${ASSET_BUDGET_KIB} KiB`, met: gust.bytes / 1024 <= ASSET_BUDGET_KIB },
      },
      {
        name: "Lambda cold start, hello-world handler (median)",
        value: helloMs,
        unit: "ms",
      },
      peerFigure("Hono hello-world (lambda-peers/hono-hello.ts)", times.honoHello),
      peerFigure(
        "stack floor: one zod-openapi route + one SDK Query (lambda-peers/stack-floor.ts)",
        times.floor,
      ),
      figure("GET /v1/turbines/{id}/measurements (Query via the SDK, loopback)", times.read),
      figure(
        "POST /v1/measurements (DynamoDB lookup, Query, WriteRecords via the SDK)",
        times.write,
      ),
      {
        name: "Lambda cold start, gust's read over the stack floor (median)",
        value: median(times.read) / floorMs,
        unit: "x",
      },
      figure("GET /openapi.json", times.openapi),
    ];
  } finally {
    await wire.close();
    await dynamodb.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
