// One turbine as the live view holds it: its last reading, where it stands, how often it reports.
import type { Reading } from "../store/port.ts";
import type { TurbinePlace } from "./places.ts";

export interface LiveTurbine {
  turbine_id: string;
  place: TurbinePlace;
  reading: Reading;
  /** Its own reporting interval: a moving average of the gaps between its reading times. */
  intervalMs: number | null;
  /** When its last reading arrived (epoch ms), which silence is also judged by (replays). */
  arrivedAt: number;
  /** Its snapshot row as JSON, while its reading, place and silence are these. */
  json?: { text: string; silent: boolean; place: TurbinePlace };
}
