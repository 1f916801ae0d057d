// Charts as PNG: a Vega-Lite spec drawn to SVG by Vega in Node (no browser), rasterised by resvg
// (a maintained Rust SVG renderer with prebuilt Node bindings). Only the local server and the
// notebooks import this module: the Lambda bundle has no native resvg binary, and its routes
// answer format=png with a 406 (as Parquet) through the optional AppDeps.png.
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export const PNG_MEDIA_TYPE = "image/png";

/** The spec as SVG, as Vega draws it (the report embeds these). */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG to PNG at twice its size (sharp on high-density screens and in slides). */
export function svgToPng(svg: string): Uint8Array {
  const png = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "white",
    // Vega writes font-family sans-serif; system fonts give it glyphs (DejaVu on Debian).
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  }).render();
  return new Uint8Array(png.asPng());
}

export async function chartPng(spec: TopLevelSpec): Promise<Uint8Array> {
  return svgToPng(await chartSvg(spec));
}
