// The live view over MQTT: what the live hub applies (stored readings, a batch every quarter
// second) and alarm events, published on read-only topics, so a dashboard or another service
// subscribes instead of polling. One message per turbine per batch: a gateway's 500 readings
// cost one publish, not 500.
import { type AlarmEvent, alarmJson } from "../live/alarm.ts";
import type { LiveHub } from "../live/hub.ts";
import type { Reading } from "../store/port.ts";
import { liveAlarmsTopic, liveReadingsTopic } from "./topics.ts";

export interface LivePublisher {
  publish(topic: string, payload: string): Promise<void>;
}

/** Starts publishing; returns the function that stops it. */
export function publishLive(hub: LiveHub, broker: LivePublisher): () => void {
  const failed = (error: unknown) => console.error("gust: a live MQTT publish failed:", error);
  return hub.subscribe((event) => {
    if (event.type === "alarm") {
      broker
        .publish(liveAlarmsTopic(event.event.alarm.turbine_id), alarmMessage(event.event))
        .catch(failed);
      return;
    }
    if (event.type !== "update") return;
    const byTurbine = new Map<string, Reading[]>();
    for (const reading of event.readings) {
      const list = byTurbine.get(reading.turbine_id);
      if (list) list.push(reading);
      else byTurbine.set(reading.turbine_id, [reading]);
    }
    for (const [turbineId, readings] of byTurbine) {
      broker
        .publish(
          liveReadingsTopic(turbineId),
          JSON.stringify({ readings: readings.map(readingJson) }),
        )
        .catch(failed);
    }
  });
}

/** A stored reading as GET answers give it: the time as RFC 3339. */
function readingJson(reading: Reading) {
  return {
    turbine_id: reading.turbine_id,
    time: new Date(reading.time).toISOString(),
    power_kw: reading.power_kw,
    wind_speed_ms: reading.wind_speed_ms,
    status: reading.status,
    status_code: reading.status_code,
    version: reading.version,
    measures: reading.measures,
  };
}

function alarmMessage(event: AlarmEvent): string {
  return JSON.stringify({
    seq: event.seq,
    kind: event.kind,
    time: new Date(event.time).toISOString(),
    alarm: alarmJson(event.alarm),
  });
}
