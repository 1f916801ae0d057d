// Simulated SCADA readings straight into a DuckDB table shaped as the store's readings relation
// (CONTRACTS.md item 2: the reading's columns and one DOUBLE column per measure), through DuckDB's
// appender, and that table as an AnalysisSource. For tests and the analysis benchmark, where
// millions of readings through HTTP would measure the ingest path, not the analyses.
import { type DuckDBAppender, type DuckDBConnection, DuckDBTimestampValue } from "@duckdb/node-api";
import type { AnalysisSource } from "../../api/analyses/scan.ts";
import { READING_COLUMNS } from "../../api/readings/fields.ts";
import type { QueryRow } from "../../api/store/port.ts";
import type { ScadaReading } from "../../simulator/scada/channels.ts";

export const SCADA_MEASURES = [
  "rotor_speed_rpm",
  "generator_speed_rpm",
  "pitch_angle_deg",
  "wind_direction_deg",
  "nacelle_direction_deg",
  "yaw_error_deg",
  "ambient_temperature_c",
  "ambient_pressure_hpa",
  "energy_counter_kwh",
  "nacelle_temperature_c",
  "generator_temperature_c",
  "gearbox_temperature_c",
  "power_kw_min",
  "power_kw_max",
  "power_kw_std",
  "wind_speed_ms_min",
  "wind_speed_ms_max",
  "wind_speed_ms_std",
] as const;

export async function createScadaTable(
  connection: DuckDBConnection,
  measures: readonly string[] = SCADA_MEASURES,
  table = "readings",
): Promise<void> {
  await connection.run(`CREATE TABLE ${table} (
    turbine_id VARCHAR NOT NULL, time TIMESTAMP NOT NULL, power_kw DOUBLE NOT NULL,
    wind_speed_ms DOUBLE NOT NULL, status VARCHAR, status_code INTEGER, version BIGINT NOT NULL
    ${measures.map((m) => `, ${m} DOUBLE`).join("")})`);
}

export class ScadaAppender {
  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly measures: readonly string[],
  ) {}

  static async open(
    connection: DuckDBConnection,
    measures: readonly string[] = SCADA_MEASURES,
    table = "readings",
  ): Promise<ScadaAppender> {
    return new ScadaAppender(await connection.createAppender(table), measures);
  }

  append(readings: readonly ScadaReading[]): void {
    const a = this.appender;
    for (const r of readings) {
      a.appendVarchar(r.turbine_id);
      a.appendTimestamp(new DuckDBTimestampValue(BigInt(r.time) * 1000n));
      a.appendDouble(r.power_kw);
      a.appendDouble(r.wind_speed_ms);
      a.appendVarchar(r.status);
      a.appendInteger(r.status_code);
      a.appendBigInt(1n);
      for (const name of this.measures) {
        const value = r.measures[name];
        if (value === undefined) a.appendNull();
        else a.appendDouble(value);
      }
      a.endRow();
    }
  }

  close(): void {
    this.appender.flushSync();
    this.appender.closeSync();
  }
}

/** A DuckDB table as the analyses' source; the measure columns are read from the catalog. */
export function duckDbSource(connection: DuckDBConnection, table = "readings"): AnalysisSource {
  return {
    kind: "duckdb",
    tableRef: table,
    async select(sql: string): Promise<QueryRow[]> {
      const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS();
      return rows.map((row) => {
        const out: QueryRow = {};
        for (const [k, v] of Object.entries(row)) {
          out[k] =
            typeof v === "bigint"
              ? Number(v)
              : v instanceof Date
                ? v.getTime()
                : (v as QueryRow[string]);
        }
        return out;
      });
    },
    async measureColumns(): Promise<ReadonlySet<string>> {
      const rows = (
        await connection.runAndReadAll(
          `SELECT column_name FROM duckdb_columns() WHERE table_name = '${table}'`,
        )
      ).getRows();
      const base = new Set<string>([...READING_COLUMNS, "tags"]);
      return new Set(rows.map(([name]) => String(name)).filter((name) => !base.has(name)));
    },
  };
}
