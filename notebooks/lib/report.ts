// The HTML report: one self-contained file, charts inlined as SVG, tables as HTML. It loads
// nothing from anywhere, so it opens offline and can be mailed around.
import type { Table } from "./tables.ts";

export interface ReportContent {
  title: string;
  range: { from: number; to: number };
  headline: string[];
  charts: { id: string; svg: string }[];
  tables: { title: string; table: Table; limit?: number }[];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderReport(content: ReportContent): string {
  const charts = content.charts
    .map((chart) => `<figure class="chart" id="${chart.id}">${chart.svg}</figure>`)
    .join("\n");
  const tables = content.tables
    .map(
      ({ title, table, limit }) =>
        `<h2>${escapeHtml(title)}</h2>\n${table.toHTML({ limit: limit ?? 25 })}`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(content.title)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; color: #222; }
  table { border-collapse: collapse; margin-bottom: 1.5rem; }
  th, td { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  figure.chart { margin: 1.5rem 0; }
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
