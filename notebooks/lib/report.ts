// The HTML report: one self-contained file, charts inlined as SVG, tables as HTML. It loads
// nothing from anywhere, so it opens offline and can be mailed around.
import type { Table } from "./tables.ts";

export interface ReportContent {
  title: string;
  range: { from: number; to: number };
  headline: string[];
  charts: { id: string; svg: string }[];
  tables: ReportTable[];
}

export interface ReportTable {
  title: string;
  table: Table;
  limit?: number;
  /** The columns the page shows (the CSV has them all); default: all. */
  columns?: string[];
  /** Why a cell may be empty: shown under the table when one is (as an em dash). */
  blank?: string;
}

/** A table as HTML: an em dash for no value, and headers that may wrap at their underscores. */
export function tableHtml({ table, limit, columns, blank }: ReportTable): string {
  const shown = columns ?? table.columnNames();
  const html = table
    .toHTML({ limit: limit ?? 25, columns: shown, null: () => '<span class="none">—</span>' })
    .replace(/<th([^>]*)>([^<]*)<\/th>/g, (_all, attributes: string, name: string) => {
      return `<th${attributes}>${name.replaceAll("_", "_<wbr>")}</th>`;
    });
  const rows = table.slice(0, limit ?? 25).objects() as Record<string, unknown>[];
  const hasBlank = rows.some((row) => shown.some((column) => row[column] == null));
  const note = hasBlank
    ? `<p class="note">— ${escapeHtml(blank ?? "no value for this row")}</p>`
    : "";
  return `${html}\n${note}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderReport(content: ReportContent): string {
  const charts = content.charts
    .map((chart) => `<figure class="chart" id="${chart.id}">${chart.svg}</figure>`)
    .join("\n");
  const tables = content.tables
    .map((entry) => `<h2>${escapeHtml(entry.title)}</h2>\n${tableHtml(entry)}`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(content.title)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; padding: 0 1rem; max-width: 1320px; color: #222; }
  table { border-collapse: collapse; margin-bottom: 0.5rem; font-size: 13px; font-variant-numeric: tabular-nums; }
  th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }
  th { vertical-align: bottom; font-weight: 600; }
  th:first-child, td:first-child { text-align: left; }
  td .none { color: #888; }
  p.note { color: #555; font-size: 12px; margin: 0 0 1.5rem; }
  figure.chart { margin: 1.5rem 0; }
  figure.chart svg { max-width: 100%; height: auto; }
  .headline { background: #f3f6f9; padding: 0.75rem 1rem; border-radius: 6px; }
</style>
</head>
<body>
<h1>${escapeHtml(content.title)}</h1>
<p>${new Date(content.range.from).toISOString()} to ${new Date(content.range.to).toISOString()} (UTC)</p>
<div class="headline">${content.headline.map((line) => `<p>${escapeHtml(line)}</p>`).join("")}</div>
${charts}
${tables}
</body>
</html>
`;
}
