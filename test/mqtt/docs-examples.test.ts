// The examples of docs/mqtt.md, run against a server with gust's MQTT broker. The docs' own
// example test runs its pages against a server without one, so these blocks say `# not run:`
// to it and are run here, in order, in one bash, with their `#>` lines checked.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";

const repo = resolve(import.meta.dirname, "../..");
const MARK = "test/mqtt/docs-examples.test.ts runs it";
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ mqttPort: 0, mqttWsPort: 0 });
});
afterAll(async () => {
  await server.stop();
});

function blocks(): string[] {
  const page = readFileSync(resolve(repo, "docs/mqtt.md"), "utf8");
  return [...page.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1] as string)
    .filter((block) => block.split("\n")[0]?.includes(MARK));
}

/** `#>` lines as patterns over what the block printed; `…` is any text. */
function expectations(block: string): RegExp[] {
  return block
    .split("\n")
    .filter((line) => line.startsWith("#> "))
    .map((line) => {
      const parts = line
        .slice(3)
        .split("…")
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      return new RegExp(`^${parts.join(".*")}$`);
    });
}

it("runs every MQTT example of docs/mqtt.md", async () => {
  const found = blocks();
  expect(found.length).toBeGreaterThan(0);
  const mqttPort = new URL(server.mqtt?.url as string).port;
  for (const block of found) {
    const script = block
      .replaceAll("http://127.0.0.1:3000", server.url)
      .replaceAll("-p 1883", `-p ${mqttPort}`)
      .replaceAll("127.0.0.1:1883", `127.0.0.1:${mqttPort}`);
    // Not execFileSync: the server answering the examples runs in this process.
    const { stdout: output } = await promisify(execFile)(
      "bash",
      ["-c", `set -euo pipefail\n${script}`],
      {
        cwd: repo,
        env: {
          ...process.env,
          DATA_DIR: server.dataDir,
          HOST: "127.0.0.1",
          PORT: new URL(server.url).port,
          GUST_TARGET: server.url,
          API_KEY_SECRET: TEST_SECRET,
        },
        encoding: "utf8",
      },
    );
    const lines = output.split("\n");
    for (const pattern of expectations(block)) {
      expect(
        lines.some((line) => pattern.test(line)),
        `${pattern} in:\n${output}`,
      ).toBe(true);
    }
  }
});
