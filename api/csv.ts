// The one CSV writer: every CSV gust produces (GET /v1/power?format=csv, the analysis tables,
// the notebooks) goes through here, so that spreadsheet safety is decided in one place.
//
// RFC 4180 quoting: a field holding a comma, a double quote, a line feed or a bare carriage return
// is quoted, its quotes doubled. OWASP CSV injection: a text field a spreadsheet would read as a
// formula (starting with = + - @, a tab or a carriage return) is prefixed with a single quote and
// quoted, so it shows as text. Numbers are written as numbers (a negative power stays -12), and
// only finite ones: NaN and Infinity are not numbers a spreadsheet reads, they become empty.
// They are rounded to 12 significant digits: binary floating point's noise (2.5231399999999997
// for 2.52314) sits in the 16th-17th, and no measured quantity gust keeps has 12 true digits.

export type CsvValue = string | number | boolean | bigint | Date | null | undefined;

/** Significant digits of a number in a CSV. */
export const CSV_DIGITS = 12;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\n\r]/;

/** One field, escaped and quoted as needed. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    return Number.isFinite(value) ? String(Number(value.toPrecision(CSV_DIGITS))) : "";
  }
  if (typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  let text = String(value);
  const formula = FORMULA_START.test(text);
  if (formula) text = `'${text}`;
  return formula || NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A whole CSV document: a header row, then one row per record; lines end with \n. */
export function toCsv(columns: readonly string[], rows: Iterable<object>): string {
  const lines = [columns.map(csvField).join(",")];
  for (const row of rows) {
    const record = row as Readonly<Record<string, unknown>>;
    lines.push(columns.map((column) => csvField(record[column] as CsvValue)).join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** A table with columns (an Arquero table fits) as CSV through the same writer. */
export function tableCsv(table: { columnNames(): string[]; objects(): object[] }): string {
  return toCsv(table.columnNames(), table.objects());
}
