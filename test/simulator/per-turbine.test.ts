// The simulator's per-turbine SCADA mode against a real server: every turbine registered with
// its description, 10-minute statistics with the SCADA channels as measures, every reading
// acknowledged and verified, and the analyses reading them (density-normalised).
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateFleet } from "../../simulator/fleet.ts";
import { runSimulation, type SimulationReport } from "../../simulator/run.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../api/fixture.ts";

const silent = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const PROJECTS = 40;
let server: TestServer;
let report: SimulationReport;
const to = Math.floor(Date.now() / 600_000) * 600_000;

beforeAll(async () => {
  server = await startTestServer();
  report = await runSimulation({
    target: server.url,
    mode: "replay",
    turbines: PROJECTS,
    perTurbine: true,
    statisticsMs: 600_000,
    from: to - 6 * 3_600_000,
    to,
    keySecret: TEST_SECRET,
    verify: true,
    out: silent(),
  });
});
afterAll(async () => {
  await server?.stop();
});

it("registers and drives every turbine of the projects, with 10-minute statistics", async () => {
  const turbines = generateFleet()
    .slice(0, PROJECTS)
    .reduce((sum, p) => sum + p.turbines, 0);
  expect(report.scada?.turbines).toBe(turbines);
  expect(report.readings.planned).toBe(turbines * 36);
  expect(report.readings.accepted).toBe(turbines * 36);
  expect(report.verification?.ok).toBe(true);
  expect((await server.registry.list()).length).toBe(turbines);
  const turbine = await server.registry.get("nl-0001-t01");
  expect(turbine).toMatchObject({ model: expect.any(String), rated_kw: expect.any(Number) });
  expect(turbine?.rotor_diameter_m).toBeGreaterThan(0);
  const page = await server.get(
    `/v1/turbines/nl-0001-t01/measurements?from=${new Date(to - 3_600_000).toISOString()}&to=${new Date(to).toISOString()}`,
  );
  expect(page.body.readings).toHaveLength(6);
  const reading = page.body.readings[0];
  expect(Object.keys(reading.measures)).toEqual(
    expect.arrayContaining([
      "rotor_speed_rpm",
      "pitch_angle_deg",
      "wind_direction_deg",
      "nacelle_direction_deg",
      "ambient_temperature_c",
      "ambient_pressure_hpa",
      "energy_counter_kwh",
      "power_kw_std",
      "wind_speed_ms_max",
    ]),
  );
  expect(reading.status_code).toEqual(expect.any(Number));
  // Statistics agree with the mean they surround.
  expect(reading.measures.wind_speed_ms_min).toBeLessThanOrEqual(reading.wind_speed_ms);
  expect(reading.measures.wind_speed_ms_max).toBeGreaterThanOrEqual(reading.wind_speed_ms);
});

it("feeds the analyses with density normalisation", async () => {
  const answer = await server.get(
    `/v1/analyses/availability?from=${new Date(to - 6 * 3_600_000).toISOString()}&to=${new Date(to).toISOString()}`,
  );
  expect(answer.status).toBe(200);
  expect(answer.body.density_normalised).toBe(true);
  const fleet = answer.body.rows[0];
  expect(fleet).toMatchObject({ level: "fleet", unknown_hours: 0 });
  expect(fleet.data_hours).toBe(report.scada?.turbines ? report.scada.turbines * 6 : -1);
});
