// Turbine models found in the Dutch onshore fleet around 2020, with the figures the physics needs.
// Rated power, rotor and hub height are the manufacturers' published values (typical hub).

export interface TurbineModel {
  name: string;
  ratedKw: number;
  rotorDiameterM: number;
  hubHeightM: number;
  /** The wind speeds where the turbine starts, and where it stops to protect itself. */
  cutInMs: number;
  cutOutMs: number;
}

export const TURBINE_MODELS: readonly TurbineModel[] = [
  {
    name: "Lagerwey LW 18/80",
    ratedKw: 80,
    rotorDiameterM: 18,
    hubHeightM: 30,
    cutInMs: 3,
    cutOutMs: 25,
  },
  {
    name: "Vestas V47",
    ratedKw: 660,
    rotorDiameterM: 47,
    hubHeightM: 50,
    cutInMs: 4,
    cutOutMs: 25,
  },
  {
    name: "Enercon E-44",
    ratedKw: 900,
    rotorDiameterM: 44,
    hubHeightM: 55,
    cutInMs: 3,
    cutOutMs: 25,
  },
  {
    name: "Vestas V66",
    ratedKw: 1750,
    rotorDiameterM: 66,
    hubHeightM: 67,
    cutInMs: 4,
    cutOutMs: 25,
  },
  {
    name: "Enercon E-70",
    ratedKw: 2300,
    rotorDiameterM: 71,
    hubHeightM: 85,
    cutInMs: 2.5,
    cutOutMs: 25,
  },
  {
    name: "Vestas V90",
    ratedKw: 3000,
    rotorDiameterM: 90,
    hubHeightM: 80,
    cutInMs: 3.5,
    cutOutMs: 25,
  },
  {
    name: "Enercon E-82",
    ratedKw: 2300,
    rotorDiameterM: 82,
    hubHeightM: 98,
    cutInMs: 2.5,
    cutOutMs: 25,
  },
  {
    name: "Siemens SWT-3.6-107",
    ratedKw: 3600,
    rotorDiameterM: 107,
    hubHeightM: 90,
    cutInMs: 3.5,
    cutOutMs: 25,
  },
  {
    name: "Vestas V112",
    ratedKw: 3300,
    rotorDiameterM: 112,
    hubHeightM: 119,
    cutInMs: 3,
    cutOutMs: 25,
  },
  {
    name: "Nordex N117",
    ratedKw: 3000,
    rotorDiameterM: 117,
    hubHeightM: 120,
    cutInMs: 3,
    cutOutMs: 25,
  },
  {
    name: "Enercon E-115",
    ratedKw: 3000,
    rotorDiameterM: 115,
    hubHeightM: 122,
    cutInMs: 2.5,
    cutOutMs: 25,
  },
  {
    name: "Enercon E-126",
    ratedKw: 7580,
    rotorDiameterM: 127,
    hubHeightM: 135,
    cutInMs: 3,
    cutOutMs: 25,
  },
];

export function findModel(name: string): TurbineModel | undefined {
  return TURBINE_MODELS.find((model) => model.name.toLowerCase() === name.toLowerCase());
}
