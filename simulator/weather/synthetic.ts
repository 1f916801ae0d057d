// Synthetic weather: offline, deterministic for a seed, and shaped like Dutch wind.
//
// - 10 m wind with a Weibull marginal (shape 2.1), stronger on the coast and in the north;
// - correlated in time: a national weather process with a correlation time of ~12 hours (a sum
//   of random-phase cosines with an Ornstein-Uhlenbeck spectrum, so any moment can be computed
//   directly), plus a local process per project correlated over ~1 hour;
// - correlated in space: nearby projects share the national process, and weather crosses the
//   country from west to east at ~40 km/h, so the east sees the west's wind hours later;
// - a diurnal cycle (near the ground the wind picks up in the afternoon), gustiness, and
//   temperature and pressure with a season, a day, and low pressure on windy days.
import type { Project } from "../fleet.ts";
import { hashString, normal, seededRandom } from "../random.ts";
import type { Weather, WeatherProvider } from "./provider.ts";

export const SYNTHETIC_HEIGHT_M = 10;
const WEIBULL_SHAPE = 2.1;
const NATIONAL_CORRELATION_HOURS = 12;
const LOCAL_CORRELATION_HOURS = 1;
// Cosines per process: enough for a smooth spectrum; the local one needs fewer.
const NATIONAL_COMPONENTS = 48;
const LOCAL_COMPONENTS = 10;
// Delays are rounded to this many hours so that projects in one band share one evaluation.
const DELAY_BAND_HOURS = 0.05;
/** Weather fronts cross the Netherlands from the west at about 40 km/h. */
const FRONT_SPEED_KMH = 40;
const KM_PER_DEGREE_LONGITUDE = 68;
// How much of the wind anomaly is national (shared) rather than local.
const NATIONAL_SHARE = 0.85;
const HOUR_MS = 3_600_000;

interface Cosine {
  omega: number;
  phase: number;
}

/** A stationary Gaussian process (mean 0, variance 1) with exp(-|dt|/tau) correlation. */
function spectralProcess(
  random: () => number,
  correlationHours: number,
  components: number,
): Cosine[] {
  // Frequencies drawn from the OU (Lorentzian/Cauchy) spectrum.
  return Array.from({ length: components }, () => ({
    omega: Math.abs(Math.tan(Math.PI * (random() - 0.5))) / correlationHours,
    phase: random() * 2 * Math.PI,
  }));
}

function evaluate(process: Cosine[], hours: number): number {
  let sum = 0;
  for (const { omega, phase } of process) sum += Math.cos(omega * hours + phase);
  return sum * Math.sqrt(2 / process.length);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 through erf). */
function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Mean 10 m wind at a place: ~6 m/s on the coast, ~4 m/s inland in the south-east. */
export function climateMeanWindMs(latitude: number, longitude: number): number {
  const coastal = Math.max(0, Math.min(1, (5.3 - longitude) / 1.5));
  const northern = Math.max(0, Math.min(1, (latitude - 51.5) / 2));
  return 4.0 + 1.2 * coastal + 0.9 * northern;
}

export class SyntheticWeather implements WeatherProvider {
  readonly name = "synthetic";
  private readonly national: Cosine[];
  private readonly temperatureAnomaly: Cosine[];
  private readonly local = new Map<string, Cosine[]>();
  // The national process at one moment, by delay band: shared by the projects of a band.
  private nationalCache = { time: Number.NaN, temperature: 0, byBand: new Map<number, number>() };

  constructor(private readonly seed = 1) {
    const random = seededRandom(seed);
    this.national = spectralProcess(random, NATIONAL_CORRELATION_HOURS, NATIONAL_COMPONENTS);
    this.temperatureAnomaly = spectralProcess(random, 48, NATIONAL_COMPONENTS);
  }

  private localProcess(projectId: string): Cosine[] {
    let process = this.local.get(projectId);
    if (!process) {
      process = spectralProcess(
        seededRandom(hashString(projectId) ^ this.seed),
        LOCAL_CORRELATION_HOURS,
        LOCAL_COMPONENTS,
      );
      this.local.set(projectId, process);
    }
    return process;
  }

  at(project: Project, time: number): Weather {
    const hours = time / HOUR_MS;
    // The national weather reaches a project later the further east it lies.
    const delayHours = ((project.longitude - 3.3) * KM_PER_DEGREE_LONGITUDE) / FRONT_SPEED_KMH;
    const nationalX = this.nationalAt(time, hours, Math.round(delayHours / DELAY_BAND_HOURS));
    const localX = evaluate(this.localProcess(project.id), hours);
    const x = Math.sqrt(NATIONAL_SHARE) * nationalX + Math.sqrt(1 - NATIONAL_SHARE) * localX;

    // Gaussian to Weibull with the place's mean: the distribution wind speeds really have.
    const mean = climateMeanWindMs(project.latitude, project.longitude);
    const scale = mean / 0.8857; // Γ(1 + 1/2.1) ≈ 0.8857
    const u = Math.min(normalCdf(x), 1 - 1e-9);
    const baseWind = scale * (-Math.log(1 - u)) ** (1 / WEIBULL_SHAPE);

    const hourOfDay = (((time % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS;
    const diurnal = 1 + 0.12 * Math.cos(((hourOfDay - 14) / 24) * 2 * Math.PI);
    // Gusts: a few percent, different every few seconds.
    const gust = 1 + 0.06 * normal(seededRandom(hashString(project.id) ^ Math.floor(time / 3000)));
    const windMs = Math.max(0, baseWind * diurnal * gust);

    const dayOfYear = (time / 86_400_000) % 365.25;
    const season = -Math.cos(((dayOfYear - 15) / 365.25) * 2 * Math.PI);
    const temperatureC =
      10.5 +
      7 * season +
      3 * Math.cos(((hourOfDay - 15) / 24) * 2 * Math.PI) +
      2.5 * this.nationalCache.temperature;
    const pressureHpa = 1013 - 9 * nationalX;
    return { windMs, heightM: SYNTHETIC_HEIGHT_M, temperatureC, pressureHpa };
  }

  private nationalAt(time: number, hours: number, band: number): number {
    if (this.nationalCache.time !== time) {
      const temperature = evaluate(this.temperatureAnomaly, hours);
      this.nationalCache = { time, temperature, byBand: new Map() };
    }
    let value = this.nationalCache.byBand.get(band);
    if (value === undefined) {
      value = evaluate(this.national, hours - band * DELAY_BAND_HOURS);
      this.nationalCache.byBand.set(band, value);
    }
    return value;
  }

  async conditions(projects: readonly Project[], time: number): Promise<Weather[]> {
    return projects.map((project) => this.at(project, time));
  }
}
