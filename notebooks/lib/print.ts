// Arquero tables as plain text for the terminal: aligned columns, numbers to the right.
import type { Table } from "./tables.ts";

export function formatTable(title: string, table: Table, limit = 10): string {
  const columns = table.columnNames();
  const rows = table.objects({ limit }) as Record<string, unknown>[];
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? ""
      : typeof value === "number"
        ? value.toLocaleString("en", { maximumFractionDigits: 3 })
        : String(value);
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((r) => (r[i] ?? "").length)),
  );
  const numeric = columns.map((column) => rows.some((row) => typeof row[column] === "number"));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join("  ");
  const more = table.numRows() > limit ? `\n  … ${table.numRows() - limit} more rows` : "";
  return (
    [
      `${title}`,
      `  ${line(columns)}`,
      `  ${line(widths.map((w) => "-".repeat(w)))}`,
      ...cells.map((r) => `  ${line(r)}`),
    ].join("\n") + more
  );
}
