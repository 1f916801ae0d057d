// When the episodic defects (defects.ts) are on: icing follows the weather, derating a calendar.
//
//   icing     whenever the ambient temperature is at or below ICING_MAX_TEMPERATURE_C; ice on
//             the blades lowers the rotor's power coefficient to ICED_POWER_SHARE of its clean
//             value (the same wind yields 45% less below rated; rated is still reached, at a
//             higher wind)
//   derating  one period a day per turbine, starting at a random hour, 4-12 hours long, power
//             capped at 50-70% of rated, drawn from seeded randomness per turbine and day like
//             the downtime of events.ts (any moment can be asked about without state)
import { hashString, seededRandom } from "../random.ts";

export const ICING_MAX_TEMPERATURE_C = 1;
export const ICED_POWER_SHARE = 0.55;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The derating cap (share of rated) of the turbine at `time`, or null when it runs freely. */
export function deratingCapAt(turbineId: string, time: number): number | null {
  const day = Math.floor(time / DAY);
  // Yesterday's period can run past midnight.
  for (const d of [day, day - 1]) {
    const random = seededRandom(hashString(turbineId) ^ Math.imul(d, 0x27d4eb2d) ^ 0xde7a7e);
    const start = d * DAY + Math.floor(random() * DAY);
    const end = start + (4 + 8 * random()) * HOUR;
    const cap = 0.5 + 0.2 * random();
    if (time >= start && time < end) return cap;
  }
  return null;
}

/** What an episodic defect did to one reading: for checking the analyses against the truth. */
export interface PlantedEffect {
  turbine_id: string;
  time: number;
  kind: "icing" | "derating";
  /** The power the turbine delivered, and what it would have without the defect, kW. */
  powerKw: number;
  unaffectedKw: number;
}
