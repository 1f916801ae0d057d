// The MQTT topics gust speaks (docs/mqtt.md): where turbines publish readings, where answers go,
// and the read-only live topics. Turbine ids never hold "/", "+" or "#" (TURBINE_ID_PATTERN), so
// a turbine id is always exactly one topic level.
import { TURBINE_ID_PATTERN } from "../readings/limits.ts";

export const TOPIC_ROOT = "gust/v1";
/** Subscriptions of a broker-side ingester (an external broker): plain and gzip readings. */
export const READINGS_FILTERS = [
  `${TOPIC_ROOT}/turbines/+/readings`,
  `${TOPIC_ROOT}/turbines/+/readings/gzip`,
] as const;

/** A publish on a readings topic: whose readings, and whether the payload is gzip. */
export interface ReadingsTopic {
  turbineId: string;
  gzip: boolean;
}

/** `gust/v1/turbines/{id}/readings` or `.../readings/gzip`; null for any other topic. */
export function parseReadingsTopic(topic: string): ReadingsTopic | null {
  const levels = topic.split("/");
  if (levels.length !== 5 && levels.length !== 6) return null;
  const [gust, version, turbines, turbineId, readings, encoding] = levels;
  if (gust !== "gust" || version !== "v1" || turbines !== "turbines" || readings !== "readings") {
    return null;
  }
  if (encoding !== undefined && encoding !== "gzip") return null;
  if (!TURBINE_ID_PATTERN.test(turbineId as string)) return null;
  return { turbineId: turbineId as string, gzip: encoding === "gzip" };
}

export function readingsTopic(turbineId: string, gzip = false): string {
  return `${TOPIC_ROOT}/turbines/${turbineId}/readings${gzip ? "/gzip" : ""}`;
}

/** Where the answer to a publish goes when the publisher named no MQTT 5 response topic. */
export function answersTopic(turbineId: string): string {
  return `${TOPIC_ROOT}/turbines/${turbineId}/answers`;
}

/** Stored readings of one turbine, as they are accepted. */
export function liveReadingsTopic(turbineId: string): string {
  return `${TOPIC_ROOT}/live/readings/${turbineId}`;
}

/** Alarm events (raised, cleared, ...) of one turbine. */
export function liveAlarmsTopic(turbineId: string): string {
  return `${TOPIC_ROOT}/live/alarms/${turbineId}`;
}
