// The analysis queries in Timestream's dialect. DuckDB runs them for real in the other tests; here
// each Timestream rendering is checked against the documented dialect, and translated back piece
// by piece it must equal the DuckDB rendering: one definition, two dialects, nothing else apart.
import { describe, expect, it } from "vitest";
import {
  renderCompletenessQuery,
  renderDataExtentQuery,
  renderPowerCurveQuery,
  renderTurbineSummaryQuery,
} from "../../api/queries/analysis.ts";
import { renderExportCountQuery, renderExportPageQuery } from "../../api/queries/export.ts";
import {
  POWER_BINS,
  POWER_GROUPS,
  PROJECT_OR_TURBINE,
  renderPowerQuery,
} from "../../api/queries/power.ts";
import { renderHourlyScadaBinsQuery, renderScadaBinsQuery } from "../../api/queries/scada.ts";
import type { QueryTarget } from "../../api/queries/sql.ts";
import { renderYawBinsQuery, VANE_MEASURE } from "../../api/queries/yaw.ts";

const timestream: QueryTarget = { dialect: "timestream", tableRef: '"gust"."readings"' };
const duckdb: QueryTarget = { dialect: "duckdb", tableRef: "readings" };
const range = { from: 1_795_000_000_000, to: 1_795_086_400_000 };

const BIN_SECONDS: Record<string, number> = { "5m": 300, "15m": 900, "1h": 3600, "1d": 86400 };

const DIMENSIONS = [
  "project",
  "municipality",
  "province",
  "model",
  "rated_kw",
  "latitude",
  "longitude",
];
const REGISTRY_COLUMNS = ["project", "model", "rated_kw", "latitude", "longitude"];

/** Timestream SQL with each dialect piece replaced by its DuckDB counterpart. */
function asDuckDb(sql: string): string {
  // The registry's fields a query names: dimension columns there, the joined table here.
  const named = DIMENSIONS.filter((d) => sql.includes(`"${d}"`));
  const joined = named.length
    ? ` LEFT JOIN (SELECT turbine_id, ${named
        .map((d) => (REGISTRY_COLUMNS.includes(d) ? `${d} AS "${d}"` : `tags->>'${d}' AS "${d}"`))
        .join(", ")} FROM turbines) t USING (turbine_id)`
    : "";
  return sql
    .replaceAll('FROM "gust"."readings"', "FROM readings")
    .replace(/CAST\("(\w+)" AS DOUBLE\)/g, 't."$1"')
    .replace(/(?<![.\w])"(\w+)"/g, 't."$1"')
    .replaceAll("FROM readings", `FROM readings${joined}`)
    .replace(/from_milliseconds\(/g, "epoch_ms(")
    .replace(/to_milliseconds\(/g, "epoch_ms(")
    .replace(/approx_percentile\((\w+), 0\.5\)/g, "median($1)")
    .replace(
      /bin\(time, (\w+)\)/g,
      (_, every: string) => `time_bucket(INTERVAL '${BIN_SECONDS[every]} seconds', time)`,
    );
}

const queries = {
  turbineSummary: (t: QueryTarget) => renderTurbineSummaryQuery(t, range),
  powerCurve: (t: QueryTarget) => renderPowerCurveQuery(t, range),
  completeness: (t: QueryTarget) => renderCompletenessQuery(t, range),
  dataExtent: (t: QueryTarget) => renderDataExtentQuery(t),
  scadaBins: (t: QueryTarget) => renderScadaBinsQuery(t, range, new Set()),
  scadaBinsDensity: (t: QueryTarget) =>
    renderScadaBinsQuery(t, range, new Set(["ambient_temperature_c", "ambient_pressure_hpa"])),
  hourlyScadaBins: (t: QueryTarget) =>
    renderHourlyScadaBinsQuery(t, range, new Set(["ambient_temperature_c"])),
  yawBins: (t: QueryTarget) => renderYawBinsQuery(t, range, new Set([VANE_MEASURE])),
  projectOrTurbine: (t: QueryTarget) =>
    renderPowerQuery(t, { ...range, every: "1h", by: PROJECT_OR_TURBINE }),
  exportCount: (t: QueryTarget) => renderExportCountQuery(t, range),
  exportPage: (t: QueryTarget) =>
    renderExportPageQuery(t, range, ["rotor_rpm"], 20_000, { time: range.from, turbineId: "T1" }),
  ...Object.fromEntries(
    POWER_BINS.flatMap((every) =>
      POWER_GROUPS.map((by) => [
        `power ${every} by ${by}`,
        (t: QueryTarget) => renderPowerQuery(t, { ...range, every, by }),
      ]),
    ),
  ),
};

describe("analysis queries in Timestream's dialect", () => {
  for (const [name, render] of Object.entries(queries)) {
    it(`${name}: only the dialect pieces differ from DuckDB`, () => {
      const sql = render(timestream);
      expect(sql).toContain('FROM "gust"."readings"');
      expect(sql).not.toMatch(/epoch_ms|time_bucket|->>|median\(|INTERVAL/);
      expect(asDuckDb(sql)).toBe(render(duckdb));
    });
  }

  it("bins with bin(), months with date_trunc, ranges with from_milliseconds", () => {
    const power = renderPowerQuery(timestream, { ...range, every: "15m", by: "province" });
    expect(power).toContain("bin(time, 15m) AS bin");
    expect(power).toContain('"province" AS grp');
    expect(power).toContain(
      "time >= from_milliseconds(1795000000000) AND time < from_milliseconds(1795086400000)",
    );
    expect(renderPowerQuery(timestream, { ...range, every: "1mo", by: "turbine" })).toMatch(
      /date_trunc\('month', time\) AS bin, turbine_id, turbine_id AS grp/,
    );
  });

  it("reads the registry's fields as dimension columns, numeric ones cast to DOUBLE", () => {
    const summary = renderTurbineSummaryQuery(timestream, range);
    for (const field of ["project", "municipality", "province", "model"]) {
      expect(summary).toContain(`max("${field}") AS ${field}`);
    }
    expect(summary).toContain('max(CAST("rated_kw" AS DOUBLE)) AS rated_kw');
    expect(summary).toContain('max(CAST("latitude" AS DOUBLE)) AS lat');
    expect(renderPowerCurveQuery(timestream, range)).toContain(
      'max(CAST("rated_kw" AS DOUBLE)) AS rated_kw',
    );
  });

  it("joins the registry's table on DuckDB only when the query names a registry field", () => {
    const byProvince = renderPowerQuery(duckdb, { ...range, every: "1h", by: "province" });
    expect(byProvince).toContain(
      `FROM readings LEFT JOIN (SELECT turbine_id, tags->>'province' AS "province" FROM turbines) t USING (turbine_id)`,
    );
    expect(byProvince).toContain('t."province" AS grp');
    expect(renderPowerQuery(duckdb, { ...range, every: "1h", by: "none" })).not.toContain("JOIN");
  });

  it("completeness counts the range's edges as steps, and refuses a time that is not one", () => {
    const sql = renderCompletenessQuery(timestream, range);
    expect(sql).toContain("approx_percentile(step_ms, 0.5) AS interval_ms");
    expect(sql).toContain(`first_ms - ${range.from} FROM usual`);
    expect(sql).toContain(`${range.to} - last_ms FROM usual`);
    expect(() => renderCompletenessQuery(timestream, { from: Number.NaN, to: 1 })).toThrow(
      /not a time/,
    );
  });

  it("the wind analyses' scan normalises density only when both measures were ever stored", () => {
    const density = ["ambient_temperature_c", "ambient_pressure_hpa"];
    const normalised = renderScadaBinsQuery(timestream, range, new Set(density));
    expect(normalised).toContain(
      "wind_speed_ms * cbrt(coalesce((ambient_pressure_hpa * 100 / (287.05 * (ambient_temperature_c + 273.15))) / 1.225, 1.0)) AS v_n",
    );
    // IEC bins centred on multiples of 0.5 m/s.
    expect(normalised).toContain("CAST(floor((v_n + 0.25) / 0.5) AS BIGINT) AS bin");
    // One of the two never stored: the column does not exist, so it is never named.
    const partial = renderScadaBinsQuery(timestream, range, new Set([density[0] as string]));
    expect(partial).not.toContain("ambient_");
    expect(partial).toContain("wind_speed_ms AS v_n");
    // Each reading's time comes from its neighbours: Timestream's lag and lead window functions.
    expect(partial).toContain(
      "to_milliseconds(time) - lag(to_milliseconds(time)) OVER (PARTITION BY turbine_id ORDER BY time) AS prev_step",
    );
  });
});
