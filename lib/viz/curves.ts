// curves.png: loss and accuracy per epoch, training and validation side by side. Validation loss
// turning up while training loss keeps falling is over-fitting; the marker shows the best epoch.
import type { Image } from '../io/png';
import { Canvas, type Color } from './canvas';
import { drawLineChart, type Series } from './chart';

/** Per-epoch metrics, Keras names: loss, accuracy, val_loss, val_accuracy (missing ones are skipped). */
export type History = Record<string, readonly number[]>;

const TRAIN: Color = [31, 119, 180];
const VALIDATION: Color = [255, 127, 14];

function seriesOf(history: History, metric: string): Series[] {
  const out: Series[] = [];
  if (history[metric]?.length) out.push({ label: 'train', values: history[metric], color: TRAIN });
  if (history[`val_${metric}`]?.length) out.push({ label: 'validation', values: history[`val_${metric}`], color: VALIDATION });
  return out;
}

/** The epoch (1-based) with the lowest validation loss, or null without validation. */
export function bestEpoch(history: History): number | null {
  const v = history.val_loss;
  if (!v?.length) return null;
  let best = 0;
  v.forEach((x, i) => {
    if (x < v[best]) best = i;
  });
  return best + 1;
}

export function plotCurves(history: History, options: { width?: number; height?: number } = {}): Image {
  const width = options.width ?? 1200;
  const height = options.height ?? 460;
  const canvas = new Canvas(width, height);
  const best = bestEpoch(history);
  const marker = best === null ? undefined : { x: best, label: `best ${best}` };
  const half = Math.floor(width / 2);
  drawLineChart(canvas, { x: 0, y: 8, w: half, h: height - 8 }, seriesOf(history, 'loss'),
    { title: 'Loss', xLabel: 'epoch', yLabel: 'cross-entropy loss', marker });
  const accuracy = seriesOf(history, 'accuracy');
  const accValues = accuracy.flatMap((s) => s.values.filter(Number.isFinite));
  const lo = accValues.length ? Math.max(0, Math.floor(Math.min(...accValues) * 20 - 0.5) / 20) : 0;
  drawLineChart(canvas, { x: half, y: 8, w: width - half, h: height - 8 }, accuracy,
    { title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', yRange: [lo, 1], marker });
  return canvas.toImage();
}
