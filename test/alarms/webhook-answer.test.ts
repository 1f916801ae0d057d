// The webhook reads at most MAX_ANSWER_BYTES of a receiver's answer (issue 32, item 11): a
// receiver answering 200 with an endless body is a delivery, not a process filling its memory.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, it } from "vitest";
import type { AlarmStore, OutboxEntry } from "../../api/alarms/store.ts";
import { deliverOne, MAX_ANSWER_BYTES } from "../../api/alarms/webhook.ts";

let sent = 0;
const receiver = createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/octet-stream" });
  const chunk = Buffer.alloc(64 * 1024, 120);
  // Endless: writes while the client reads, until it goes away.
  const more = () => {
    while (!response.destroyed && response.write(chunk)) sent += chunk.byteLength;
  };
  response.on("drain", more);
  more();
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
afterAll(() => new Promise((resolve) => receiver.close(resolve)));

it("delivers to a receiver whose 200 never ends, reading only the start of it", async () => {
  const outcomes: string[] = [];
  const store = {
    delivered: async (seq: number) => void outcomes.push(`delivered ${seq}`),
    failed: async (seq: number, _a: number, _n: number, error: string) =>
      void outcomes.push(`failed ${seq}: ${error}`),
  } as unknown as AlarmStore;
  const at = 1_700_000_000_000;
  const entry: OutboxEntry = {
    event: {
      seq: 7,
      kind: "opened",
      time: at,
      alarm: {
        id: "a",
        turbine_id: "t",
        rule: "silent",
        opened_at: at,
        closed_at: null,
        detail: "no reading",
        reading: null,
      },
    },
    attempts: 0,
    nextAttemptAt: 0,
  };
  const { port } = receiver.address() as AddressInfo;
  const outcome = await deliverOne(
    { url: `http://127.0.0.1:${port}/hook`, secret: "s", store, timeoutMs: 60_000 },
    entry,
    () => at,
  );
  expect(outcome).toBe("delivered");
  expect(outcomes).toEqual(["delivered 7"]);
  // What the receiver got out before the cancel reached it: a few socket buffers, not gigabytes.
  expect(sent).toBeLessThan(MAX_ANSWER_BYTES + 16 * 1024 * 1024);
});
