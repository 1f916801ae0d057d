// A small, hand-computable fleet of readings for the analysis and export tests.
//
//   day D (yesterday, UTC), 10:00-10:25
//   A (project "Polder", Flevoland, rated 3000): every 5 min: 100 200 300 | 400 400 400
//   B (project "Wad", Groningen, rated 2000):    every 10 min: 1000 . 1000 | . 500 .
//
//   15-minute bins: 10:00 -> A mean 200 + B mean 1000 = 1200 kW (300 kWh), 2 turbines
//                   10:15 -> A mean 400 + B mean 500  =  900 kW (225 kWh), 2 turbines
//   (B reports half as often and still counts once per bin.)
import { afterAll, beforeAll } from "vitest";
import { startTestServer, type TestServer } from "../api/fixture.ts";

const DAY = 86_400_000;
export const D = Math.floor(Date.now() / DAY) * DAY - DAY;
export const at = (hhmm: string) =>
  D + Number(hhmm.slice(0, 2)) * 3_600_000 + Number(hhmm.slice(3)) * 60_000;

/** The fixture's turbines as the registry describes them (PUT /v1/turbines). */
export const FIXTURE_TURBINES = [
  {
    turbine_id: "A",
    project: "Polder",
    model: "V90",
    rated_kw: 3000,
    latitude: 52.4,
    longitude: 5.5,
    tags: { municipality: "Zeewolde", province: "Flevoland" },
  },
  {
    turbine_id: "B",
    project: "Wad",
    model: "E-82",
    rated_kw: 2000,
    latitude: 53.3,
    longitude: 6.9,
    tags: { municipality: "Eemsdelta", province: "Groningen" },
  },
];

export const FIXTURE_READINGS = [
  ...[
    ["10:00", 100, 5],
    ["10:05", 200, 6],
    ["10:10", 300, 7],
    ["10:15", 400, 8],
    ["10:20", 400, 8],
    ["10:25", 400, 8],
  ].map(([time, power, wind]) => ({
    turbine_id: "A",
    time: at(time as string),
    power_kw: power as number,
    wind_speed_ms: wind as number,
    status: "producing",
  })),
  ...[
    ["10:00", 1000, 9],
    ["10:10", 1000, 9],
    ["10:20", 500, 7],
  ].map(([time, power, wind]) => ({
    turbine_id: "B",
    time: at(time as string),
    power_kw: power as number,
    wind_speed_ms: wind as number,
    status: "producing",
  })),
];

export async function loadFixture(server: TestServer): Promise<void> {
  const registered = await fetch(`${server.url}/v1/turbines`, {
    method: "PUT",
    headers: { authorization: `Bearer ${server.operatorKey}`, "content-type": "application/json" },
    body: JSON.stringify({ turbines: FIXTURE_TURBINES }),
  });
  if (registered.status !== 200)
    throw new Error(`fixture not registered: ${await registered.text()}`);
  const answer = await server.post({ readings: FIXTURE_READINGS });
  if (answer.body.accepted !== FIXTURE_READINGS.length)
    throw new Error(`fixture not stored: ${JSON.stringify(answer.body)}`);
}

/** A test server holding the fixture for the tests of this file; call at the top of a file. */
export function serverWithFixture(): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer();
    await loadFixture(server);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("the fixture server starts in beforeAll");
    return server;
  };
}
