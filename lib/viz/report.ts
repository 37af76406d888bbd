// report.html: one self-contained page for a training run (the PNGs sit beside it).
import type { History } from './curves';

export interface ReportInput {
  title: string;
  testAccuracy: number;
  testLoss?: number;
  confusion: number[][];
  classNames?: readonly string[];
  history: History;
  /** Lines such as the command, data sizes, model summary. */
  details: Record<string, string>;
  summary?: string;
  images: { file: string; caption: string }[];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function confusionTable(matrix: number[][], names: readonly string[]): string {
  const max = Math.max(1, ...matrix.flatMap((row, t) => row.filter((_, p) => p !== t)));
  const head = `<tr><th>true \\ predicted</th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}<th>recall</th></tr>`;
  const rows = matrix.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((c, p) => {
      const style = p === t ? 'background:#d8ecd8' : c > 0 ? `background:rgba(214,39,40,${(0.15 + (0.6 * c) / max).toFixed(2)})` : '';
      return style ? `<td style="${style}">${c}</td>` : `<td>${c}</td>`;
    });
    return `<tr><th>${escapeHtml(names[t])}</th>${cells.join('')}<td>${total ? ((100 * row[t]) / total).toFixed(1) + '%' : '-'}</td></tr>`;
  });
  return `<table class="cm">${head}${rows.join('')}</table>`;
}

function historyTable(history: History): string {
  const keys = Object.keys(history).filter((k) => Array.isArray(history[k]));
  const epochs = Math.max(0, ...keys.map((k) => history[k].length));
  const head = `<tr><th>epoch</th>${keys.map((k) => `<th>${escapeHtml(k)}</th>`).join('')}</tr>`;
  const rows = Array.from({ length: epochs }, (_, e) =>
    `<tr><td>${e + 1}</td>${keys.map((k) => `<td>${Number.isFinite(history[k][e]) ? history[k][e].toFixed(4) : ''}</td>`).join('')}</tr>`);
  return `<table>${head}${rows.join('')}</table>`;
}

export function renderReport(input: ReportInput): string {
  const names = input.classNames ?? input.confusion.map((_, i) => String(i));
  const details = Object.entries(input.details).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const images = input.images.map((im) => `<figure><img src="${escapeHtml(im.file)}" alt="${escapeHtml(im.caption)}"><figcaption>${escapeHtml(im.caption)}</figcaption></figure>`).join('\n');
  const loss = input.testLoss === undefined ? '' : ` &middot; test loss ${input.testLoss.toFixed(4)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1250px;color:#222}
h1{margin-bottom:.2em}.big{font-size:1.6em;margin:.2em 0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}.details th{text-align:left}.details td{text-align:left;font-family:monospace}
figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd;image-rendering:pixelated}figcaption{color:#555}
pre{background:#f7f7f7;padding:1em;overflow:auto}
</style></head><body>
<h1>${escapeHtml(input.title)}</h1>
<p class="big">Test accuracy <b>${(100 * input.testAccuracy).toFixed(2)}%</b>${loss}</p>
<table class="details">${details}</table>
${images}
<h2>Confusion matrix (test split)</h2>
${confusionTable(input.confusion, names)}
<h2>History</h2>
${historyTable(input.history)}
${input.summary ? `<h2>Model</h2>\n<pre>${escapeHtml(input.summary)}</pre>` : ''}
</body></html>
`;
}
