// `node --import tsx test/support/parsing-bombs.ts`: the worst ingest bodies we could craft against
// the limits of api/readings/json-shape-limits.ts, each posted to a real local server in this
// process, with the longest event-loop block (monitorEventLoopDelay max) and the answer.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { roleKey } from "../../api/auth/keys.ts";
import { startLocalServer } from "../../api/server.ts";

const SECRET = "bomb-secret-0123456789abcdef";
const dataDir = mkdtempSync(join(tmpdir(), "gust-bombs-"));
const server = await startLocalServer({ dataDir, keySecret: SECRET });
const key = roleKey(SECRET, "operator");
const time = Date.now() - 60_000;

const readings = (n: number, reading: (i: number) => string) =>
  `{"readings":[${Array.from({ length: n }, (_, i) => reading(i)).join(",")}]}`;
const base = (i: number) =>
  `"turbine_id":"bomb-${i % 50}","time":${time - i * 1000},"power_kw":1,"wind_speed_ms":1`;
const tags16 = (s: string) =>
  `{${Array.from({ length: 16 }, (_, t) => `"tag${t}":"${s}"`).join(",")}}`;
const measures64 = `{${Array.from({ length: 64 }, (_, m) => `"m${m}_x":${m}.5`).join(",")}}`;

const bodies: [string, string][] = [
  ["the review's: 16 MiB of {} in readings", `{"readings":[${"{},".repeat(5_600_000)}{}]}`],
  [
    "1000 readings x 1600 bad tags (the review's 422)",
    readings(
      1000,
      (i) =>
        `{${base(i)},"tags":{${Array.from({ length: 1600 }, (_, t) => `"1bad${t}":""`).join(",")}}}`,
    ),
  ],
  [
    "nesting 4 MiB deep",
    `{"readings":[{"tags":${"[".repeat(4_000_000)}${"]".repeat(4_000_000)}}]}`,
  ],
  [
    "114,000 values of 130-byte strings (16 MiB)",
    readings(
      1000,
      (i) =>
        `{${base(i)},"tags":{${Array.from({ length: 110 }, (_, t) => `"t${t}":"${"x".repeat(130)}"`).join(",")}}}`,
    ),
  ],
  [
    "114,000 lone-surrogate strings (walk for pointers)",
    readings(
      1000,
      (i) =>
        `{${base(i)},"tags":{${Array.from({ length: 110 }, (_, t) => `"t${t}":"${"\\ud800".repeat(20)}"`).join(",")}}}`,
    ),
  ],
  [
    "1000 readings x 110 unknown 60-byte names (zod path)",
    readings(
      1000,
      (i) =>
        `{${base(i)},${Array.from({ length: 110 }, (_, t) => `"${"k".repeat(50)}${i}_${t}":0`).join(",")}}`,
    ),
  ],
  [
    "1000 readings x 114 unknown long keys (zod path)",
    readings(
      1000,
      (i) =>
        `{${base(i)},${Array.from({ length: 110 }, (_, t) => `"${"k".repeat(100)}${i}_${t}":0`).join(",")}}`,
    ),
  ],
  [
    "valid: 1000 readings, 16 tags of 256 chars, 64 measures",
    readings(
      1000,
      (i) => `{${base(i)},"tags":${tags16("v".repeat(256))},"measures":${measures64}}`,
    ),
  ],
];

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
console.log("body | wire KiB | inflated MiB | status | answer ms | max event-loop block ms");
for (const [name, json] of bodies) {
  const wire = gzipSync(json);
  // A measurement script, not a test: a real pause so that one body's garbage collection is not
  // counted in the next body's event-loop block.
  await new Promise((resolve) => setTimeout(resolve, 50));
  delay.reset();
  const started = performance.now();
  const response = await fetch(`${server.url}/v1/measurements`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "content-encoding": "gzip",
    },
    body: wire,
  });
  await response.text();
  const ms = performance.now() - started;
  console.log(
    `${name} | ${(wire.length / 1024).toFixed(0)} | ${(Buffer.byteLength(json) / 2 ** 20).toFixed(1)} | ${response.status} | ${ms.toFixed(0)} | ${(delay.max / 1e6).toFixed(0)}`,
  );
}
await server.close();
rmSync(dataDir, { recursive: true, force: true });
