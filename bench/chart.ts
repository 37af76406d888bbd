// The ratio chart of `npm run bench`: one horizontal bar per workload, thread setting and peer,
// length log10(peer's time / convkit's time), drawn with lib/viz's canvas into a PNG.
import { Canvas, BLACK, type Color } from '../lib/viz/canvas';
import { writePng } from '../lib/io/png';
import type { Row } from './harness';

const COLORS: Color[] = [[214, 96, 77], [67, 147, 195], [90, 174, 97], [153, 112, 171]];
const GRID: Color = [220, 220, 220];

export function drawRatioChart(file: string, rows: Row[], peers: string[], title: string): void {
  const bars = rows.flatMap((r) => peers.map((p, k) => ({ label: `${r.title}, ${r.threads} thr`, peer: k, cell: r.cells[p] })))
    .filter((b) => b.cell);
  const ratios = bars.map((b) => b.cell.ratio?.median).filter((x): x is number => x !== undefined && x > 0);
  const lo = Math.floor(Math.log10(Math.min(0.5, ...ratios))), hi = Math.ceil(Math.log10(Math.max(2, ...ratios)));
  const labelW = 330, barH = 9, left = labelW + 10, plotW = 560;
  const top = 40, height = top + bars.length * (barH + 2) + rows.length * 4 + 40;
  const canvas = new Canvas(left + plotW + 150, height);
  const xOf = (r: number) => left + ((Math.log10(r) - lo) / (hi - lo)) * plotW;
  canvas.text(10, 8, title, BLACK, 1);
  peers.forEach((p, k) => {
    canvas.fillRect(10 + k * 120, 22, 10, 8, COLORS[k % COLORS.length]);
    canvas.text(24 + k * 120, 23, p);
  });
  for (let e = lo; e <= hi; e++) {
    canvas.line(xOf(10 ** e), top - 4, xOf(10 ** e), height - 30, e === 0 ? BLACK : GRID);
    canvas.textCentered(xOf(10 ** e), height - 26, e < 0 ? `${10 ** e}` : `${10 ** e}x`);
  }
  canvas.textCentered(left + plotW / 2, height - 14, '> 1: convkit faster; < 1: the peer is faster');
  let y = top, last = '';
  for (const b of bars) {
    if (b.label !== last && last !== '') y += 4;
    if (b.label !== last) canvas.text(10, y + 1, b.label.length > 54 ? b.label.slice(0, 53) + '.' : b.label);
    last = b.label;
    const r = b.cell.ratio?.median;
    if (r !== undefined && r > 0) {
      const x0 = xOf(1), x1 = xOf(r);
      canvas.fillRect(Math.min(x0, x1), y, Math.max(1, Math.abs(x1 - x0)), barH, COLORS[b.peer % COLORS.length]);
      canvas.text(Math.max(x0, x1) + 4, y + 1, `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}x`);
    } else {
      canvas.text(xOf(1) + 4, y + 1, `${peers[b.peer]}: ${b.cell.status}`, [120, 120, 120]);
    }
    y += barH + 2;
  }
  writePng(file, { width: canvas.width, height: canvas.height, channels: 3, data: canvas.data });
}
