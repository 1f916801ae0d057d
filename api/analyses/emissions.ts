// Emissions avoided: the energy the turbines delivered times a grid emission factor, the CO2 the
// same electricity would have cost from the grid's mix. A derived figure, as CO2 intensity is
// derived from a grid's generation mix; the factor is the user's to set (a marginal factor, a
// year's mix, another country's).
//
// Default: 0.374 kg CO2/kWh, the Dutch electricity production mix of 2021 including chain
// emissions (300 g/kWh at the stack + 74 g/kWh upstream), as CE Delft computed it from CBS
// statistics for the national list CO2emissiefactoren.nl ("Ketenemissies elektriciteit.
// Actualisatie elektriciteitsmix 2021", CE Delft, 2023).
export const DEFAULT_GRID_EMISSION_FACTOR_KG_PER_KWH = 0.374;
export const DEFAULT_GRID_EMISSION_FACTOR_SOURCE =
  "Dutch electricity production mix 2021 incl. chain emissions (300 + 74 g CO2/kWh), CE Delft for CO2emissiefactoren.nl, from CBS statistics";
/** The largest factor taken: no grid emits more than ~1.2 kg/kWh (lignite); 2 leaves room. */
export const MAX_GRID_EMISSION_FACTOR_KG_PER_KWH = 2;

/** Tonnes of CO2 avoided by `energyMwh` at `kgPerKwh` (MWh x kg/kWh = t). */
export function emissionsAvoidedT(energyMwh: number, kgPerKwh: number): number {
  return energyMwh * kgPerKwh;
}
