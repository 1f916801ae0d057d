// The alarm rules' settings: environment variables, with these defaults (docs/live-and-alarms.md).
import { positiveInteger } from "../config.ts";

export interface AlarmRules {
  /** silent: no reading for more than this many of the turbine's own reporting intervals. */
  silentIntervals: number;
  /** fault: status `fault` for at least this long (0: on the first fault reading). */
  faultMs: number;
  /** underperforming: power below this share of the model's expected output... */
  underperformingRatio: number;
  /** ...in this many consecutive readings with wind between cut-in + 2 m/s and rated. */
  underperformingReadings: number;
  /** rejections: more than this many readings of one turbine rejected within an hour. */
  rejectionsPerHour: number;
  /**
   * Readings older than this when they arrive (a replay, a backfill) open or close no alarm:
   * alarms are about now. Silence is judged on the clock, not on readings.
   */
  maxReadingAgeMs: number;
}

export const DEFAULT_ALARM_RULES: AlarmRules = {
  silentIntervals: 5,
  faultMs: 0,
  underperformingRatio: 0.5,
  underperformingReadings: 3,
  rejectionsPerHour: 10,
  maxReadingAgeMs: 15 * 60_000,
};

export interface WebhookConfig {
  url: string;
  secret: string;
  /** The first retry's delay; each next one doubles, up to 5 minutes. */
  baseDelayMs: number;
}

export function readAlarmRules(env: NodeJS.ProcessEnv = process.env): AlarmRules {
  const percent = wholeOrZero(env, "ALARM_UNDERPERFORMING_PERCENT", 50);
  if (percent > 100) {
    throw new Error(`ALARM_UNDERPERFORMING_PERCENT must be 0-100, not "${percent}".`);
  }
  return {
    silentIntervals: positiveInteger(env, "ALARM_SILENT_INTERVALS", 5),
    faultMs: wholeOrZero(env, "ALARM_FAULT_MINUTES", 0) * 60_000,
    underperformingRatio: percent / 100,
    underperformingReadings: positiveInteger(env, "ALARM_UNDERPERFORMING_READINGS", 3),
    rejectionsPerHour: positiveInteger(env, "ALARM_REJECTIONS_PER_HOUR", 10),
    maxReadingAgeMs: DEFAULT_ALARM_RULES.maxReadingAgeMs,
  };
}

/** ALARM_WEBHOOK_URL and its ALARM_WEBHOOK_SECRET, or null when no webhook is set. */
export function readWebhookConfig(env: NodeJS.ProcessEnv = process.env): WebhookConfig | null {
  const url = env.ALARM_WEBHOOK_URL;
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`ALARM_WEBHOOK_URL is not a URL: "${url}".`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new Error(`ALARM_WEBHOOK_URL must be http(s), not "${parsed.protocol}".`);
  }
  const secret = env.ALARM_WEBHOOK_SECRET ?? "";
  if (secret.length < 16) {
    throw new Error(
      "ALARM_WEBHOOK_URL is set: set ALARM_WEBHOOK_SECRET too (16+ characters, shared with the receiver, which checks X-Gust-Signature with it).",
    );
  }
  return { url, secret, baseDelayMs: positiveInteger(env, "ALARM_WEBHOOK_BACKOFF_MS", 1000) };
}

function wholeOrZero(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number of 0 or more, not "${raw}".`);
  }
  return value;
}
