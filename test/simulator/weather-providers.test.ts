// Live and replay weather providers against local fake services answering in the providers'
// documented shapes: batching, caching, backing off on 429, and never inventing weather.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFleet } from "../../simulator/fleet.ts";
import { farmWindShare, windAtHubHeight } from "../../simulator/physics.ts";
import { runSimulation } from "../../simulator/run.ts";
import { KnmiWeather } from "../../simulator/weather/knmi.ts";
import { OpenWeatherMapWeather } from "../../simulator/weather/openweathermap.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";

const silent = () => new Writable({ write: (_c, _e, done) => done() });
const HOUR = 3_600_000;

async function fakeService(
  answer: (
    url: URL,
    n: number,
  ) => { status: number; body: unknown; headers?: Record<string, string> },
) {
  const requests: URL[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    requests.push(url);
    const { status, body, headers } = answer(url, requests.length);
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, server };
}
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
});
afterAll(async () => {
  await api.stop();
});

describe("open-meteo", () => {
  it("asks for 100 m wind in m/s for many coordinates at once, backs off on 429, and counts missing weather", async () => {
    const day = Math.floor((Date.now() - 2 * HOUR) / 86_400_000) * 86_400_000;
    const fake = await fakeService((url, n) => {
      if (n === 1)
        return {
          status: 429,
          body: { error: true, reason: "Too many concurrent requests" },
          headers: { "retry-after": "0" },
        };
      const latitudes = (url.searchParams.get("latitude") ?? "").split(",");
      // The API's multi-location answer: a list of locations, in the order asked.
      return {
        status: 200,
        body: latitudes.map((latitude, i) => ({
          latitude: Number(latitude),
          longitude: Number((url.searchParams.get("longitude") ?? "").split(",")[i]),
          generationtime_ms: 0.5,
          utc_offset_seconds: 0,
          timezone: "GMT",
          timezone_abbreviation: "GMT",
          elevation: 2,
          hourly_units: {
            time: "unixtime",
            wind_speed_100m: "m/s",
            temperature_2m: "°C",
            surface_pressure: "hPa",
          },
          hourly: {
            time: Array.from({ length: 24 }, (_, h) => (day + h * HOUR) / 1000),
            // The third location has no data: its project must report nothing.
            wind_speed_100m: Array.from({ length: 24 }, () => (i === 2 ? null : 9.5)),
            temperature_2m: Array.from({ length: 24 }, () => 8),
            surface_pressure: Array.from({ length: 24 }, () => 1010),
          },
        })),
      };
    });
    try {
      const report = await runSimulation({
        target: api.url,
        mode: "replay",
        turbines: 3,
        from: day + 60_000,
        to: day + 31 * 60_000,
        weather: { provider: "open-meteo", url: fake.url },
        keySecret: TEST_SECRET,
        out: silent(),
      });
      expect(report.readings).toMatchObject({ accepted: 60, missingWeather: 30, failed: 0 });
      const asked = fake.requests[1] as URL;
      expect(asked.searchParams.get("wind_speed_unit")).toBe("ms");
      expect(asked.searchParams.get("hourly")).toContain("wind_speed_100m");
      expect(asked.searchParams.get("latitude")?.split(",")).toHaveLength(3);
      // One retried request for the whole day and all three projects: the rest came from the cache.
      expect(fake.requests).toHaveLength(2);
      // 9.5 m/s at 100 m, moved to the project's hub height, less its farm's wakes.
      const project = generateFleet()[0];
      const stored = await api.stored("nl-0001");
      expect(stored[0]?.wind_speed_ms).toBeCloseTo(
        windAtHubHeight(9.5, 100, project?.hubHeightM ?? 0) * farmWindShare(project?.turbines ?? 1),
        2,
      );
    } finally {
      await close(fake.server);
    }
  });
});

describe("openweathermap", () => {
  it("reads current 10 m wind with units=metric, and invents nothing for the past", async () => {
    const fake = await fakeService((url) => ({
      status: 200,
      body: {
        coord: {
          lon: Number(url.searchParams.get("lon")),
          lat: Number(url.searchParams.get("lat")),
        },
        weather: [{ id: 803, main: "Clouds", description: "broken clouds", icon: "04d" }],
        main: { temp: 7.5, feels_like: 4.1, pressure: 1008, humidity: 81 },
        wind: { speed: 6.2, deg: 240, gust: 11.3 },
        dt: Math.floor(Date.now() / 1000),
        name: "Zeewolde",
        cod: 200,
      },
    }));
    try {
      const fleet = generateFleet().slice(0, 4);
      const provider = new OpenWeatherMapWeather("test-key", fake.url);
      const now = await provider.conditions(fleet, Date.now());
      expect(now[0]).toEqual({ windMs: 6.2, heightM: 10, temperatureC: 7.5, pressureHpa: 1008 });
      expect(fake.requests[0]?.searchParams.get("units")).toBe("metric");
      expect(fake.requests[0]?.searchParams.get("appid")).toBe("test-key");
      await provider.conditions(fleet, Date.now());
      expect(fake.requests).toHaveLength(4); // cached for the second tick
      expect(await provider.conditions(fleet, Date.now() - 5 * HOUR)).toEqual([
        null,
        null,
        null,
        null,
      ]);
      expect(() => new OpenWeatherMapWeather("")).toThrow(/API key/);
    } finally {
      await close(fake.server);
    }
  });
});

describe("knmi", () => {
  const dir = mkdtempSync(join(tmpdir(), "gust-knmi-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads hourly station files: FH in 0.1 m/s, HH the hour ending in UT, nearest station", async () => {
    const file = join(dir, "uurgeg_260_2021-2030.txt");
    writeFileSync(
      file,
      [
        "BRON: KONINKLIJK NEDERLANDS METEOROLOGISCH INSTITUUT (KNMI)",
        "",
        "# STN         LON(east)   LAT(north)  ALT(m)      NAME",
        "# 260:         5.180       52.100      1.90        De Bilt",
        "# 280:         6.585       53.125      5.20        Eelde",
        "",
        "# STN,YYYYMMDD,   HH,   DD,   FH,   FF,   FX,    T,  T10N,   TD,   SQ,    Q,   DR,   RH,    P,   VV,    N,    U,   WW,   IX,    M,    R,    S,    O,    Y",
        "  260,20210115,    1,  230,   50,   60,   90,   45,      ,   20,    0,    0,    0,    0,10123,   70,    8,   85,     ,    5,    0,    0,    0,    0,    0",
        "  280,20210115,    1,  240,   80,   80,  120,   30,      ,   10,    0,    0,    0,    0,10098,   75,    8,   90,     ,    5,    0,    0,    0,    0,    0",
        "  280,20210115,    2,  240,     ,   80,  120,   30,      ,   10,    0,    0,    0,    0,10098,   75,    8,   90,     ,    5,    0,    0,    0,    0,    0",
      ].join("\n"),
      "latin1",
    );
    const knmi = new KnmiWeather(dir);
    const fleet = generateFleet();
    const utrecht = fleet.find((p) => p.province === "Utrecht");
    const groningen = fleet.find((p) => p.province === "Groningen");
    if (!utrecht || !groningen) throw new Error("fleet lacks the provinces this test needs");
    const hour = Date.UTC(2021, 0, 15, 0, 30);
    expect(await knmi.conditions([utrecht, groningen], hour)).toEqual([
      { windMs: 5, heightM: 10, temperatureC: 4.5, pressureHpa: 1012.3 },
      { windMs: 8, heightM: 10, temperatureC: 3, pressureHpa: 1009.8 },
    ]);
    // A missing FH is missing weather, and so is an hour the file does not have.
    expect(await knmi.conditions([groningen], Date.UTC(2021, 0, 15, 1, 30))).toEqual([null]);
    expect(await knmi.conditions([groningen], Date.UTC(2021, 0, 16))).toEqual([null]);
  });
});
