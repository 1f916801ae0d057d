// One turbine's SCADA reading: the power the physics gives (physics.ts) and the channels a real
// turbine reports beside it, consistent with that power (measure names: CONTRACTS.md item 5).
//
//   wind           the project's hub-height wind times the turbine's wake factor; within a
//                  statistics window, ten one-minute means with 8% turbulence
//   power          the model's curve at that wind and the air density, times the turbine's own
//                  spread; defects (defects.ts) lower it, icing and derating while they last
//                  (episodes.ts); faults and maintenance stop it, curtailment caps it (events.ts)
//   rotor speed    tip-speed ratio 8 below rated, capped at the rated speed (a rated tip speed of
//                  75 m/s); generator speed through the gearbox (direct drive for Enercon and
//                  Lagerwey)
//   pitch          ~0° below rated wind, rising ~1.8° per m/s above it; 86° (feathered) stopped
//   directions     a national wind direction veering slowly (days) plus a local offset; the
//                  nacelle follows with a random yaw error (4° standard deviation) that costs
//                  power as cos^2 (YAW_POWER_EXPONENT), as a miscalibrated vane's offset does
//   temperatures   ambient from the weather; nacelle, generator, gearbox warm with load
//   energy         a cumulative counter (kWh), advancing with each reading's energy
import type { ReadingStatus } from "../../api/readings/schema.ts";
import type { TurbineModel } from "../../api/turbines/models.ts";
import { STANDARD_AIR_DENSITY, turbinePowerKw } from "../../api/turbines/power-curve.ts";
import { airDensity, windAtHubHeight } from "../physics.ts";
import { hashString, normal, seededRandom } from "../random.ts";
import type { Weather } from "../weather/provider.ts";
import type { Defect } from "./defects.ts";
import {
  deratingCapAt,
  ICED_POWER_SHARE,
  ICING_MAX_TEMPERATURE_C,
  type PlantedEffect,
} from "./episodes.ts";
import { type PeriodCalendar, STATUS_CODES } from "./events.ts";
import type { SimulatedTurbine } from "./turbines.ts";

export interface ScadaReading {
  turbine_id: string;
  time: number;
  power_kw: number;
  wind_speed_ms: number;
  status: ReadingStatus;
  status_code: number;
  measures: Record<string, number>;
}

const TIP_SPEED_RATIO = 8;
const RATED_TIP_SPEED_MS = 75;
const TURBULENCE = 0.08;
const SAMPLES_PER_WINDOW = 10;
const FEATHERED_DEG = 86;
const PITCH_DEG_PER_MS = 1.8;
const POWER_COEFFICIENT = 0.45;
const GENERATOR_RPM_AT_RATED = 1500;
const HOUR = 3_600_000;
/** Standard deviation of the yaw error a healthy turbine's vane reads over a window, degrees. */
export const YAW_ERROR_STD_DEG = 4;
/**
 * Power below rated falls as cos^k of the yaw misalignment. k = 3 is the axial-momentum bound
 * (the wind along the axis, cubed); field and wind-tunnel measurements give 1.4-2 (FLORIS uses
 * 1.88); 2 is the usual engineering value and the one used here.
 */
export const YAW_POWER_EXPONENT = 2;

export function ratedRotorRpm(model: TurbineModel): number {
  return ((RATED_TIP_SPEED_MS / (model.rotorDiameterM / 2)) * 60) / (2 * Math.PI);
}

/** The wind speed at which the rotor reaches rated power at standard density. */
export function ratedWindMs(model: TurbineModel): number {
  const area = Math.PI * (model.rotorDiameterM / 2) ** 2;
  return (
    ((2 * model.ratedKw * 1000) / (STANDARD_AIR_DENSITY * area * POWER_COEFFICIENT)) ** (1 / 3)
  );
}

function directDrive(model: TurbineModel): boolean {
  return /^(Enercon|Lagerwey)/.test(model.name);
}

/** The national wind direction (degrees from north), veering over days, mostly south-west. */
export function nationalWindDirection(time: number): number {
  const hours = time / HOUR;
  const direction =
    235 + 70 * Math.sin((2 * Math.PI * hours) / 103) + 25 * Math.sin((2 * Math.PI * hours) / 19);
  return ((direction % 360) + 360) % 360;
}

export class ScadaChannels {
  private readonly counters = new Map<string, number>();
  private readonly defects: Map<string, Defect>;
  // Scratch space for one reading's samples (readings are made one at a time).
  private readonly winds = new Float64Array(SAMPLES_PER_WINDOW);
  private readonly powers = new Float64Array(SAMPLES_PER_WINDOW);

  constructor(
    private readonly calendar: PeriodCalendar,
    defects: readonly Defect[],
    /** Ten one-minute samples per reading, with 10-minute statistics (mean/min/max/std). */
    private readonly statistics: boolean,
    /** Told of every reading an episodic defect (icing, derating) changed: the truth to check. */
    private readonly onPlanted?: (effect: PlantedEffect) => void,
  ) {
    this.defects = new Map(defects.map((d) => [d.turbine_id, d]));
  }

  /** The reading of `turbine` at `time`, covering `intervalMs` (the counter advances by that). */
  reading(
    turbine: SimulatedTurbine,
    weather: Weather,
    time: number,
    intervalMs: number,
  ): ScadaReading {
    const { model } = turbine;
    const noise = seededRandom(hashString(turbine.turbine_id) ^ Math.floor(time / 1000));
    const freeWind =
      windAtHubHeight(weather.windMs, weather.heightM, turbine.hubHeightM) * turbine.wakeFactor;
    const density = airDensity(weather.temperatureC, weather.pressureHpa);
    const defect = this.defects.get(turbine.turbine_id);
    // The yaw error the vane reads this window; the rotor's true misalignment adds the vane's
    // miscalibration (a yaw_misalignment defect), which the vane cannot see.
    const yawError = YAW_ERROR_STD_DEG * normal(noise);
    const misalignment = yawError + (defect?.yawOffsetDeg ?? 0);
    // Power below rated ~ cos^YAW_POWER_EXPONENT of the misalignment: as wind through the cube.
    const yawCos = Math.abs(Math.cos((misalignment * Math.PI) / 180));
    const windToRotor = turbine.curveFactor ** (1 / 3) * yawCos ** (YAW_POWER_EXPONENT / 3);
    const lowFactor = defect?.powerFactor ?? 1;

    const down = this.calendar.downtime(turbine.turbine_id, time);
    const curtailment = down ? null : this.calendar.curtailment(turbine.project.id, time);
    const capKw = curtailment ? (curtailment.capShare ?? 1) * model.ratedKw : model.ratedKw;
    // Episodic defects: ice lowers the power coefficient (as less wind through the cube), an
    // unflagged derating caps the power; `clean*` is what the turbine would do without them.
    const iced =
      defect?.kind === "icing" && !down && weather.temperatureC <= ICING_MAX_TEMPERATURE_C;
    const derateShare =
      defect?.kind === "derating" && !down ? deratingCapAt(turbine.turbine_id, time) : null;
    const episode = iced ? "icing" : derateShare !== null ? "derating" : null;
    const rotorWind = iced ? windToRotor * ICED_POWER_SHARE ** (1 / 3) : windToRotor;
    const limitKw = derateShare !== null ? Math.min(capKw, derateShare * model.ratedKw) : capKw;
    let cleanSum = 0;

    const samples = this.statistics ? SAMPLES_PER_WINDOW : 1;
    const winds = this.winds;
    const powers = this.powers;
    for (let i = 0; i < samples; i++) {
      const wind = Math.max(0, freeWind * (1 + (this.statistics ? TURBULENCE * normal(noise) : 0)));
      const unaffected = down ? 0 : turbinePowerKw(model, wind * windToRotor, density) * lowFactor;
      let power =
        episode === null
          ? unaffected
          : turbinePowerKw(model, wind * rotorWind, density) * lowFactor;
      const jitter = 1 + 0.005 * normal(noise);
      power = Math.min(power, limitKw) * jitter;
      winds[i] = wind;
      powers[i] = Math.max(0, power);
      if (episode !== null) cleanSum += Math.max(0, Math.min(unaffected, capKw) * jitter);
    }
    const windStats = summarize(winds, samples);
    const powerStats = summarize(powers, samples);
    const wind = windStats.mean;
    const power = powerStats.mean;
    if (episode !== null && this.onPlanted) {
      this.onPlanted({
        turbine_id: turbine.turbine_id,
        time,
        kind: episode,
        powerKw: power,
        unaffectedKw: cleanSum / samples,
      });
    }

    let status: ReadingStatus;
    let statusCode: number;
    if (down) {
      status = down.kind === "fault" ? "fault" : "maintenance";
      statusCode = down.statusCode;
    } else if (power <= 0) {
      status = "idle";
      statusCode = wind > model.cutOutMs ? STATUS_CODES.storm : STATUS_CODES.idle;
    } else if (curtailment) {
      status = "curtailed";
      statusCode = STATUS_CODES.curtailed;
    } else {
      status = "producing";
      statusCode = STATUS_CODES.producing;
    }

    const running = status === "producing" || status === "curtailed";
    const radius = model.rotorDiameterM / 2;
    const ratedRpm = ratedRotorRpm(model);
    const rotorRpm = running
      ? Math.min(
          ratedRpm,
          Math.max(
            0.35 * ratedRpm,
            ((TIP_SPEED_RATIO * wind * rotorWind) / radius) * (60 / (2 * Math.PI)),
          ),
        )
      : status === "idle" && wind > model.cutInMs * 0.6 && wind <= model.cutOutMs
        ? 0.1 * ratedRpm
        : 0;
    const aboveRated = Math.max(0, wind * rotorWind - ratedWindMs(model));
    const pitch = running
      ? Math.min(
          30,
          (power >= 0.97 * limitKw ? PITCH_DEG_PER_MS * aboveRated : 0) +
            0.3 * Math.abs(normal(noise)),
        )
      : FEATHERED_DEG;

    const direction =
      (nationalWindDirection(time) +
        ((hashString(turbine.project.id) % 21) - 10) +
        3 * normal(noise) +
        360) %
      360;
    // The nacelle points the true misalignment away from the wind.
    const nacelle = (direction - yawError - (defect?.yawOffsetDeg ?? 0) + 720) % 360;

    const load = power / model.ratedKw;
    const ambient = weather.temperatureC;
    const energyKwh = (power * intervalMs) / HOUR;
    const counter = this.counter(turbine) + energyKwh;
    this.counters.set(turbine.turbine_id, counter);

    const measures: Record<string, number> = {
      rotor_speed_rpm: round(rotorRpm, 2),
      generator_speed_rpm: round(
        rotorRpm * (directDrive(model) ? 1 : GENERATOR_RPM_AT_RATED / ratedRpm),
        1,
      ),
      pitch_angle_deg: round(pitch, 2),
      wind_direction_deg: round(direction, 1),
      nacelle_direction_deg: round(nacelle, 1),
      yaw_error_deg: round(yawError, 1),
      ambient_temperature_c: round(ambient, 1),
      ambient_pressure_hpa: round(weather.pressureHpa, 1),
      energy_counter_kwh: round(counter, 1),
      nacelle_temperature_c: round(ambient + 8 + 10 * load, 1),
      generator_temperature_c: round(ambient + 20 + 50 * load ** 1.5, 1),
    };
    if (!directDrive(model)) measures.gearbox_temperature_c = round(ambient + 25 + 35 * load, 1);
    if (this.statistics) {
      measures.power_kw_min = round(powerStats.min, 1);
      measures.power_kw_max = round(powerStats.max, 1);
      measures.power_kw_std = round(powerStats.std, 2);
      measures.wind_speed_ms_min = round(windStats.min, 2);
      measures.wind_speed_ms_max = round(windStats.max, 2);
      measures.wind_speed_ms_std = round(windStats.std, 3);
    }
    return {
      turbine_id: turbine.turbine_id,
      time,
      power_kw: round(power, 1),
      wind_speed_ms: round(wind, 2),
      status,
      status_code: statusCode,
      measures,
    };
  }

  private counter(turbine: SimulatedTurbine): number {
    let counter = this.counters.get(turbine.turbine_id);
    if (counter === undefined) {
      // A turbine some years in service at a quarter of rated power on average.
      const years = 3 + (hashString(turbine.turbine_id) % 13);
      counter = Math.round(turbine.model.ratedKw * 8760 * 0.25 * years);
    }
    return counter;
  }
}

/** Mean, min, max and (population) standard deviation of the first `n` values. */
function summarize(
  values: Float64Array,
  n: number,
): { mean: number; min: number; max: number; std: number } {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((values[i] as number) - mean) ** 2;
  return { mean, min, max, std: Math.sqrt(squares / n) };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
