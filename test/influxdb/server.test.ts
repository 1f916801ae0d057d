// The test InfluxDB itself: it starts on loopback, takes a point and answers it back.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type InfluxDbServer, startInfluxDb } from "../support/influxdb.ts";

let influx: InfluxDbServer;
beforeAll(async () => {
  influx = await startInfluxDb();
});
afterAll(async () => {
  await influx?.stop();
});

it("serves /write and /query on a loopback port with a fresh database", async () => {
  expect(influx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  await influx.createDatabase("t");
  const write = await fetch(`${influx.url}/write?db=t&precision=ms`, {
    method: "POST",
    body: "m,k=v f=1 1700000000000",
  });
  expect(write.status).toBe(204);
  const answer = await fetch(
    `${influx.url}/query?db=t&epoch=ms&q=${encodeURIComponent("SELECT f FROM m")}`,
  );
  expect(await answer.json()).toEqual({
    results: [
      {
        statement_id: 0,
        series: [{ name: "m", columns: ["time", "f"], values: [[1700000000000, 1]] }],
      },
    ],
  });
});
