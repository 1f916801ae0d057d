// The fleet: Dutch onshore wind projects. By default a deterministic generated fleet calibrated
// to CBS StatLine 70960ned for the end of 2020 (2,144 turbines, 4,159 MW; Flevoland the largest
// province, then Groningen and Fryslân; mostly 2-4 MW turbines on 80-140 m hubs, with an older
// tail of small ones), with many small projects and a few large ones. `loadFleetCsv` reads a
// real fleet instead (see fleet-csv.ts).

import { TURBINE_MODELS, type TurbineModel } from "../api/turbines/models.ts";
import { normal, seededRandom } from "./random.ts";

export interface Project {
  /** Also the turbine_id its readings carry: one reading per project is the farm's output. */
  id: string;
  name: string;
  municipality: string;
  province: string;
  latitude: number;
  longitude: number;
  model: TurbineModel;
  turbines: number;
  hubHeightM: number;
}

export const CBS_2020 = { projects: 770, turbines: 2144, megawatts: 4159 } as const;

interface Province {
  name: string;
  /** Share of national onshore capacity at the end of 2020 (rounded from CBS). */
  capacityShare: number;
  latitude: [number, number];
  longitude: [number, number];
  municipalities: string[];
}

const PROVINCES: Province[] = [
  {
    name: "Flevoland",
    capacityShare: 0.33,
    latitude: [52.3, 52.8],
    longitude: [5.2, 5.9],
    municipalities: ["Noordoostpolder", "Zeewolde", "Lelystad", "Dronten", "Almere", "Urk"],
  },
  {
    name: "Groningen",
    capacityShare: 0.17,
    latitude: [53.05, 53.45],
    longitude: [6.3, 7.15],
    municipalities: ["Eemsdelta", "Het Hogeland", "Oldambt", "Midden-Groningen", "Veendam"],
  },
  {
    name: "Fryslân",
    capacityShare: 0.12,
    latitude: [52.85, 53.35],
    longitude: [5.35, 6.2],
    municipalities: [
      "Súdwest-Fryslân",
      "Waadhoeke",
      "De Fryske Marren",
      "Harlingen",
      "Noardeast-Fryslân",
    ],
  },
  {
    name: "Zeeland",
    capacityShare: 0.1,
    latitude: [51.3, 51.7],
    longitude: [3.6, 4.2],
    municipalities: ["Borsele", "Schouwen-Duiveland", "Reimerswaal", "Terneuzen", "Noord-Beveland"],
  },
  {
    name: "Noord-Holland",
    capacityShare: 0.09,
    latitude: [52.35, 52.95],
    longitude: [4.65, 5.1],
    municipalities: ["Hollands Kroon", "Medemblik", "Zaanstad", "Amsterdam", "Den Helder"],
  },
  {
    name: "Zuid-Holland",
    capacityShare: 0.08,
    latitude: [51.8, 52.15],
    longitude: [4.05, 4.7],
    municipalities: [
      "Goeree-Overflakkee",
      "Rotterdam",
      "Hoeksche Waard",
      "Nissewaard",
      "Westvoorne",
    ],
  },
  {
    name: "Noord-Brabant",
    capacityShare: 0.05,
    latitude: [51.45, 51.7],
    longitude: [4.5, 5.9],
    municipalities: ["Moerdijk", "Steenbergen", "Halderberge", "Oss", "Meierijstad"],
  },
  {
    name: "Gelderland",
    capacityShare: 0.025,
    latitude: [51.85, 52.3],
    longitude: [5.6, 6.5],
    municipalities: ["Nijmegen", "West Betuwe", "Zevenaar", "Lingewaard"],
  },
  {
    name: "Drenthe",
    capacityShare: 0.015,
    latitude: [52.65, 53.0],
    longitude: [6.5, 7.0],
    municipalities: ["Emmen", "Borger-Odoorn", "Coevorden"],
  },
  {
    name: "Overijssel",
    capacityShare: 0.01,
    latitude: [52.3, 52.7],
    longitude: [6.1, 6.9],
    municipalities: ["Hardenberg", "Kampen", "Zwolle"],
  },
  {
    name: "Limburg",
    capacityShare: 0.005,
    latitude: [50.9, 51.35],
    longitude: [5.75, 6.05],
    municipalities: ["Sittard-Geleen", "Venlo"],
  },
  {
    name: "Utrecht",
    capacityShare: 0.005,
    latitude: [51.98, 52.2],
    longitude: [4.95, 5.4],
    municipalities: ["Houten", "Nieuwegein", "Utrecht"],
  },
];

/** Turbines per project: mostly one or two, a tail of farms with dozens. */
function projectSizes(random: () => number): number[] {
  const sizes = Array.from({ length: CBS_2020.projects }, () => {
    const u = random();
    if (u < 0.55) return 1;
    if (u < 0.78) return 2 + Math.floor(random() * 2);
    if (u < 0.95) return 4 + Math.floor(random() * 6);
    return 10 + Math.floor(random() ** 2 * 80);
  });
  // Nudge sizes one turbine at a time until the total matches CBS exactly.
  let total = sizes.reduce((sum, size) => sum + size, 0);
  while (total !== CBS_2020.turbines) {
    const i = Math.floor(random() * sizes.length);
    const size = sizes[i] ?? 1;
    if (total > CBS_2020.turbines && size > 1) {
      sizes[i] = size - 1;
      total--;
    } else if (total < CBS_2020.turbines && size > 1) {
      sizes[i] = size + 1;
      total++;
    }
  }
  return sizes;
}

const BY_RATED = [...TURBINE_MODELS].sort((a, b) => a.ratedKw - b.ratedKw);

// How common each model is among Dutch onshore turbines (share of turbines, roughly 2020).
const MODEL_SHARE: Record<string, number> = {
  "Lagerwey LW 18/80": 0.03,
  "Vestas V47": 0.17,
  "Enercon E-44": 0.12,
  "Vestas V66": 0.1,
  "Enercon E-70": 0.14,
  "Vestas V90": 0.1,
  "Enercon E-82": 0.12,
  "Siemens SWT-3.6-107": 0.04,
  "Vestas V112": 0.05,
  "Nordex N117": 0.05,
  "Enercon E-115": 0.035,
  "Enercon E-126": 0.005,
};

/** Older, smaller turbines stand alone; farms are mostly modern. */
function pickModel(random: () => number, turbines: number): TurbineModel {
  const oldWeight = turbines >= 4 ? 0.5 : turbines === 1 ? 1.5 : 1;
  const weights = TURBINE_MODELS.map(
    (m) => (MODEL_SHARE[m.name] ?? 0) * (m.ratedKw < 2000 ? oldWeight : 1),
  );
  let pick = random() * weights.reduce((sum, w) => sum + w, 0);
  for (const [i, weight] of weights.entries()) {
    pick -= weight;
    if (pick <= 0) return TURBINE_MODELS[i] as TurbineModel;
  }
  return TURBINE_MODELS[TURBINE_MODELS.length - 1] as TurbineModel;
}

export function generateFleet(seed = 2020): Project[] {
  const random = seededRandom(seed);
  const sizes = projectSizes(random);
  const models = sizes.map((size) => pickModel(random, size));

  // Calibrate capacity: step models up or down the rated-power ladder until within 5 MW of CBS.
  const capacityKw = () =>
    models.reduce((sum, model, i) => sum + model.ratedKw * (sizes[i] ?? 0), 0);
  let total = capacityKw();
  const targetKw = CBS_2020.megawatts * 1000;
  for (let guard = 0; Math.abs(total - targetKw) > 5000 && guard < 100_000; guard++) {
    const i = Math.floor(random() * models.length);
    const rung = BY_RATED.indexOf(models[i] as TurbineModel);
    const next = BY_RATED[rung + (total > targetKw ? -1 : 1)];
    if (!next) continue;
    const change = (next.ratedKw - (models[i] as TurbineModel).ratedKw) * (sizes[i] ?? 0);
    if (Math.abs(total + change - targetKw) < Math.abs(total - targetKw)) {
      models[i] = next;
      total += change;
    }
  }

  // Provinces: largest projects first, each to the province furthest below its capacity share.
  const order = sizes
    .map((_, i) => i)
    .sort(
      (a, b) =>
        (sizes[b] ?? 0) * (models[b]?.ratedKw ?? 0) - (sizes[a] ?? 0) * (models[a]?.ratedKw ?? 0),
    );
  const assignedKw = new Map(PROVINCES.map((p) => [p.name, 0]));
  const provinceOf: Province[] = [];
  for (const i of order) {
    const kw = (sizes[i] ?? 0) * (models[i]?.ratedKw ?? 0);
    let best = PROVINCES[0] as Province;
    let bestDeficit = Number.NEGATIVE_INFINITY;
    for (const province of PROVINCES) {
      const deficit =
        province.capacityShare * total - (assignedKw.get(province.name) ?? 0) - kw / 2;
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = province;
      }
    }
    provinceOf[i] = best;
    assignedKw.set(best.name, (assignedKw.get(best.name) ?? 0) + kw);
  }

  return sizes.map((turbines, i) => {
    const province = provinceOf[i] as Province;
    const model = models[i] as TurbineModel;
    const municipality = province.municipalities[
      Math.floor(random() * province.municipalities.length)
    ] as string;
    const within = (range: [number, number]) => range[0] + random() * (range[1] - range[0]);
    const number = String(i + 1).padStart(4, "0");
    return {
      id: `nl-${number}`,
      name:
        turbines >= 10
          ? `Windpark ${municipality} ${number}`
          : `Windproject ${municipality} ${number}`,
      municipality,
      province: province.name,
      latitude: round(within(province.latitude), 4),
      longitude: round(within(province.longitude), 4),
      model,
      turbines,
      // Hubs vary a little around the model's typical height.
      hubHeightM: Math.round(model.hubHeightM + normal(random) * 3),
    };
  });
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function fleetCapacityKw(projects: readonly Project[]): number {
  return projects.reduce((sum, p) => sum + p.model.ratedKw * p.turbines, 0);
}
