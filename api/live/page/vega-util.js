// The names Vega's expression interpreter (vega-interpreter.js, an ES module) imports from
// "vega-util", taken from the Vega build the page already loaded (vega.min.js bundles vega-util);
// the page's import map points "vega-util" here.
const { ascending, isString, DisallowedObjectProperties } = globalThis.vega;

export { ascending, DisallowedObjectProperties, isString };
