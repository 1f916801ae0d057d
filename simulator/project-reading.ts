// One project's reading at one moment: weather through the physics, then the things that make
// real telemetry imperfect: turbines down for faults or maintenance, and measurement noise.
import type { ReadingStatus } from "../api/readings/schema.ts";
import type { Project } from "./fleet.ts";
import { projectPower } from "./physics.ts";
import { hashString, normal, seededRandom } from "./random.ts";
import type { Weather } from "./weather/provider.ts";

/** Chance that a project is down in a given hour (availability ~97%, as Dutch fleets report). */
const FAULT_PER_HOUR = 0.02;
const MAINTENANCE_PER_HOUR = 0.01;
const POWER_NOISE = 0.01;

export interface SimulatedReading {
  turbine_id: string;
  time: number;
  power_kw: number;
  wind_speed_ms: number;
  status: ReadingStatus;
  /** Per-turbine SCADA mode (simulator/scada): the SCADA code and the channels. */
  status_code?: number;
  measures?: Record<string, number>;
}

/**
 * `powerFactor` below 1 plants an underperforming project (its output that share of what the
 * physics gives at every wind), for checking that the analyses flag it.
 */
export function projectReading(
  project: Project,
  weather: Weather,
  time: number,
  powerFactor = 1,
): SimulatedReading {
  const hour = Math.floor(time / 3_600_000);
  // Availability is decided per project and hour, so a fault lasts a while rather than blinking.
  const downDraw = seededRandom(hashString(project.id) ^ hour)();
  const noise = seededRandom(hashString(project.id) ^ Math.floor(time / 1000) ^ 0x5bd1e995);
  const { powerKw, hubWindMs } = projectPower(project.model, project.turbines, project.hubHeightM, {
    windMs: weather.windMs,
    sourceHeightM: weather.heightM,
    temperatureC: weather.temperatureC,
    pressureHpa: weather.pressureHpa,
  });
  let status: ReadingStatus = powerKw > 0 ? "producing" : "idle";
  let power = powerKw * powerFactor * (1 + POWER_NOISE * normal(noise));
  if (downDraw < FAULT_PER_HOUR) status = "fault";
  else if (downDraw < FAULT_PER_HOUR + MAINTENANCE_PER_HOUR) status = "maintenance";
  if (status === "fault" || status === "maintenance") power = 0;
  return {
    turbine_id: project.id,
    time,
    power_kw: Math.round(Math.max(0, power) * 10) / 10,
    wind_speed_ms: Math.round(Math.min(100, hubWindMs) * 100) / 100,
    status,
  };
}

/**
 * The reading as JSON, the same as JSON.stringify gives, written by hand because replay sends
 * hundreds of thousands a second. What the project is (its name, province, rated power) is in
 * the registry, provisioned once before sending (simulator/fleet-registry.ts), not in readings.
 */
export function readingJson(reading: SimulatedReading): string {
  const scada =
    reading.measures === undefined
      ? ""
      : `,"status_code":${reading.status_code ?? null},"measures":${JSON.stringify(reading.measures)}`;
  return `{"turbine_id":${JSON.stringify(reading.turbine_id)},"time":${reading.time},"power_kw":${reading.power_kw},"wind_speed_ms":${reading.wind_speed_ms},"status":"${reading.status}"${scada}}`;
}
