// The Lambda bundle's size, and its cold start: a fresh `node` process importing the bundle and
// answering its first event (GET /openapi.json, which needs no AWS call), timed from the
// process's own start. Runs the same `npm run bundle:lambda` a deploy's bundling mirrors.
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Benchmark } from "./figure.ts";

const BUNDLE = resolve("out/lambda/index.mjs");
const RUNS = 5;

// Runs in the fresh process: import, answer one payload-2.0 event, report ms since start.
const COLD_START = `
const { handler } = await import(${JSON.stringify(BUNDLE)});
const event = { version: "2.0", routeKey: "GET /openapi.json", rawPath: "/openapi.json", rawQueryString: "",
  headers: { host: "x.execute-api.eu-west-1.amazonaws.com" },
  requestContext: { http: { method: "GET", path: "/openapi.json", protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "bench" },
    requestId: "r", routeKey: "GET /openapi.json", stage: "$default", timeEpoch: Date.now() }, isBase64Encoded: false };
const answer = await handler(event, { getRemainingTimeInMillis: () => 10000 });
if (answer.statusCode !== 200) throw new Error("status " + answer.statusCode);
console.log(performance.now());
`;

export const bench: Benchmark = async (log) => {
  execFileSync("npm", ["run", "-s", "bundle:lambda"], { stdio: "inherit" });
  const bytes = statSync(BUNDLE).size;
  log(`lambda bundle: ${(bytes / 1024).toFixed(0)} KiB (${BUNDLE})`);
  const env = {
    ...process.env,
    API_KEY_SECRET: "bench-secret-0123456789abcdef",
    TIMESTREAM_DATABASE: "gust",
    TIMESTREAM_TABLE: "readings",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "example",
  };
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", COLD_START], {
      env,
      encoding: "utf8",
    });
    times.push(Number(output.trim()));
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(RUNS / 2)] ?? 0;
  log(
    `cold start (process start -> first answer), ${RUNS} runs: ${times.map((t) => t.toFixed(0)).join(", ")} ms`,
  );
  return [
    { name: "Lambda bundle size (minified ESM, DuckDB-free)", value: bytes / 1024, unit: "KiB" },
    {
      name: "Lambda cold start: fresh node to first answered event (median)",
      value: median,
      unit: "ms",
    },
  ];
};
