// Line charts with axes, ticks, grid, legend and labels, drawn on a Canvas.
import { Canvas, type Color, BLACK } from './canvas';
import { GLYPH_HEIGHT, textWidth } from './font';

export interface Series {
  label: string;
  values: readonly number[];
  color: Color;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** x of values[i] is xStart + i. */
  xStart?: number;
  /** Fixed y range; default fits the data. */
  yRange?: [number, number];
  /** Draw a vertical marker at this x (e.g. the best epoch) with its label. */
  marker?: { x: number; label: string };
}

const GRID: Color = [228, 228, 228];
const AXIS: Color = [60, 60, 60];
const MARKER: Color = [150, 150, 150];

/** Tick positions at 1, 2 or 5 times a power of ten, as close to `count` of them over [lo, hi] as those allow. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const span = hi - lo;
  const step = [1, 2, 5, 10].map((m) => m * power).reduce((best, s) => (Math.abs(span / s - count) < Math.abs(span / best - count) ? s : best));
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function formatTick(v: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

function dataRange(series: Series[]): [number, number] {
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** Draws one chart into the box (x, y, w, h) of `canvas`; `scale` is the text size. */
export function drawLineChart(canvas: Canvas, box: { x: number; y: number; w: number; h: number }, series: Series[], options: ChartOptions, scale = 2): void {
  const lineH = GLYPH_HEIGHT * scale;
  const xStart = options.xStart ?? 1;
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const [yLo, yHi] = options.yRange ?? dataRange(series);
  const yTicks = niceTicks(yLo, yHi, 5);
  const yLabels = yTicks.map((t) => formatTick(t, yTicks));
  const left = box.x + lineH + 12 + Math.max(...yLabels.map((l) => textWidth(l, scale))) + 8;
  const top = box.y + lineH + 14;
  const right = box.x + box.w - 24;
  const bottom = box.y + box.h - 2 * lineH - 20;
  const xLo = xStart - (n === 1 ? 0.5 : 0);
  const xHi = xStart + n - 1 + (n === 1 ? 0.5 : 0);
  const px = (v: number) => left + ((v - xLo) / (xHi - xLo)) * (right - left);
  const py = (v: number) => bottom - ((v - yLo) / (yHi - yLo)) * (bottom - top);

  canvas.text(left, box.y + 4, options.title, BLACK, scale);
  yTicks.forEach((t, i) => {
    const y = py(t);
    if (y < top - 0.5 || y > bottom + 0.5) return;
    canvas.line(left, y, right, y, GRID);
    canvas.line(left - 5, y, left, y, AXIS);
    canvas.text(left - 8 - textWidth(yLabels[i], scale), y - lineH / 2, yLabels[i], AXIS, scale);
  });
  const xTicks = niceTicks(xStart, xStart + n - 1, Math.min(n - 1, 8) || 1).filter((t) => Number.isInteger(t));
  for (const t of xTicks) {
    const x = px(t);
    canvas.line(x, top, x, bottom, GRID);
    canvas.line(x, bottom, x, bottom + 5, AXIS);
    canvas.textCentered(x, bottom + 9, String(t), AXIS, scale);
  }
  if (options.marker) {
    const x = px(options.marker.x);
    canvas.line(x, top, x, bottom, MARKER, 1, 4);
    canvas.text(x + 4, bottom - lineH - 4, options.marker.label, MARKER, scale);
  }
  canvas.line(left, top, left, bottom, AXIS);
  canvas.line(left, bottom, right, bottom, AXIS);
  canvas.textCentered((left + right) / 2, bottom + lineH + 16, options.xLabel, BLACK, scale);
  canvas.text(box.x + 4, (top + bottom) / 2 + textWidth(options.yLabel, scale) / 2, options.yLabel, BLACK, scale, true);

  for (const s of series) {
    let prev: [number, number] | null = null;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) {
        prev = null;
        return;
      }
      const point: [number, number] = [px(xStart + i), py(Math.min(yHi, Math.max(yLo, v)))];
      if (prev) canvas.line(prev[0], prev[1], point[0], point[1], s.color, 2, s.dashed ? 6 : 0);
      canvas.fillRect(point[0] - 2, point[1] - 2, 5, 5, s.color);
      prev = point;
    });
  }
  drawLegend(canvas, right, box.y + 4, series, scale);
}

/** One row of swatches and labels, right-aligned in the title band. */
function drawLegend(canvas: Canvas, right: number, y: number, series: Series[], scale: number): void {
  const lineH = GLYPH_HEIGHT * scale;
  let x = right;
  for (const s of [...series].reverse()) {
    x -= textWidth(s.label, scale);
    canvas.text(x, y, s.label, BLACK, scale);
    canvas.line(x - 26, y + lineH / 2, x - 6, y + lineH / 2, s.color, 2, s.dashed ? 6 : 0);
    x -= 26 + 16;
  }
}
