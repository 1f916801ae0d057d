// Names that Object.prototype also has (constructor, toString, ...) are plain names: a measure
// named `constructor` exports to Parquet and is NULL for readings without it, the live page's
// assets answer 404 for them, and an InfluxDB tag of that name is kept (issue 32, item 9).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointTags } from "../../api/store/influxdb-line-protocol.ts";
import { reading, startTestServer, type TestServer } from "./fixture.ts";

let server: TestServer;
const NOW = Date.now();
beforeAll(async () => {
  server = await startTestServer();
  const answer = await server.post({
    readings: [
      reading("proto-1", 2, { measures: { constructor: 1.5 } }, NOW),
      reading("proto-2", 2, {}, NOW),
    ],
  });
  expect(answer.body.accepted).toBe(2);
});
afterAll(() => server.stop());

const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];

describe("a measure named constructor", () => {
  it("is NULL for the readings that did not send it", async () => {
    const [one] = await server.stored("proto-1");
    const [two] = await server.stored("proto-2");
    expect(one?.measures).toEqual({ constructor: 1.5 });
    expect(two?.measures).toEqual({});
  });

  it("exports to Parquet as a DOUBLE column", async () => {
    const from = new Date(NOW - 3_600_000).toISOString();
    const response = await fetch(`${server.url}/v1/readings/export?from=${from}&format=parquet`, {
      headers: { authorization: `Bearer ${server.readerKey}` },
    });
    expect(response.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), "gust-proto-"));
    const instance = await DuckDBInstance.create(":memory:");
    try {
      const file = join(dir, "r.parquet");
      writeFileSync(file, new Uint8Array(await response.arrayBuffer()));
      const rows = (
        await (
          await instance.connect()
        ).runAndReadAll(
          `SELECT turbine_id, "constructor", typeof("constructor") FROM read_parquet('${file}') ORDER BY turbine_id`,
        )
      ).getRows();
      expect(rows).toEqual([
        ["proto-1", 1.5, "DOUBLE"],
        ["proto-2", null, "DOUBLE"],
      ]);
    } finally {
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the live page's assets", () => {
  it.each(PROTOTYPE_NAMES)("/live/%s is a 404, not a 500", async (name) => {
    const response = await fetch(`${server.url}/live/${name}`);
    expect(response.status).toBe(404);
  });
});

describe("InfluxDB tags", () => {
  it("keeps a tag named like a prototype property when no measure has that name", () => {
    const tags = pointTags({ turbine_id: "t", measures: {} }, { constructor: "x", toString: "y" });
    expect(tags).toEqual({ turbine_id: "t", constructor: "x", toString: "y" });
  });
});
