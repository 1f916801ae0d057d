// The ingest benchmark's InfluxDB peer builds its line-protocol bodies from lines encoded once
// per turbine (test/bench/influxdb-peer.ts), so that the load generator pays InfluxDB's bodies
// no more than gust's. They must be exactly what encoding every point (benchPoint) gives.
import { expect, it } from "vitest";
import { benchPoint, influxLines } from "../bench/influxdb-peer.ts";

const START = Date.parse("2026-11-20T00:00:00Z");

function everyPointEncoded(
  n: number,
  perRequest: number,
  fleet: string,
  measures: Record<string, number> = {},
): string {
  const lines: string[] = [];
  for (let i = 0; i < perRequest; i++) {
    const k = n * perRequest + i;
    lines.push(benchPoint(`${fleet}-${k % 770}`, START + Math.floor(k / 770) * 1000, measures));
  }
  return lines.join("\n");
}

it("builds the same bodies as encoding every point", () => {
  const measures = { rotor_speed_rpm: 14.2, power_kw_max: 1502.3, wind_speed_ms_std: 0.7 };
  for (const n of [0, 1, 7, 1539]) {
    expect(influxLines(n, 1, START, "bench")).toBe(everyPointEncoded(n, 1, "bench"));
    expect(influxLines(n, 500, START, "again")).toBe(everyPointEncoded(n, 500, "again"));
    expect(influxLines(n, 500, START, "bench", measures)).toBe(
      everyPointEncoded(n, 500, "bench", measures),
    );
  }
});
