import test from 'ava';
import { decodePng, encodePng } from '../lib/io/png';
import { Tensor } from '../lib';
import { Canvas } from '../lib/viz/canvas';
import { niceTicks } from '../lib/viz/chart';
import { formatConfusionMatrix, accuracyOf } from '../lib/viz/confusion';
import { confusionMatrix } from '../lib/metrics';
import { bestEpoch, plotCurves } from '../lib/viz/curves';
import { featureMapGrid, filterGrid, normalizeToBytes } from '../lib/viz/grid';
import { renderReport } from '../lib/viz/report';

const history = {
  loss: [0.9, 0.3, 0.15, 0.08], accuracy: [0.7, 0.9, 0.95, 0.98],
  val_loss: [0.4, 0.2, 0.18, 0.25], val_accuracy: [0.88, 0.94, 0.95, 0.94],
};

function pixel(image: { width: number; channels: number; data: Uint8Array }, x: number, y: number): number[] {
  const p = (y * image.width + x) * image.channels;
  return Array.from(image.data.subarray(p, p + image.channels));
}

test('niceTicks: steps of 1, 2 or 5 times a power of ten covering the range', (t) => {
  t.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.deepEqual(niceTicks(0.03, 0.92, 4), [0.2, 0.4, 0.6, 0.8]);
  t.deepEqual(niceTicks(1, 10, 5), [2, 4, 6, 8, 10]);
});

test('canvas text draws glyph pixels in the text colour', (t) => {
  const c = new Canvas(20, 10);
  c.text(0, 0, 'I', [255, 0, 0]);
  const image = c.toImage();
  t.deepEqual(pixel(image, 2, 3), [255, 0, 0]); // the stem of I
  t.deepEqual(pixel(image, 0, 3), [255, 255, 255]);
});

test('plotCurves: a PNG with both series drawn, best epoch found', (t) => {
  t.is(bestEpoch(history), 3);
  const image = plotCurves(history, { width: 900, height: 360 });
  const back = decodePng(encodePng(image));
  t.is(back.width, 900);
  t.is(back.height, 360);
  const colours = new Set<string>();
  for (let i = 0; i < back.data.length; i += 3) colours.add(`${back.data[i]},${back.data[i + 1]},${back.data[i + 2]}`);
  t.true(colours.has('31,119,180'), 'train line (blue) drawn');
  t.true(colours.has('255,127,14'), 'validation line (orange) drawn');
});

test('normalizeToBytes: min-max per map, all-zero maps stay black', (t) => {
  t.deepEqual(Array.from(normalizeToBytes([-1, 0, 1])), [0, 128, 255]);
  t.deepEqual(Array.from(normalizeToBytes([0, 0])), [0, 0]);
});

test('featureMapGrid: one row per layer, tiles hold the normalised maps', (t) => {
  const ramp = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => i);
  const image = featureMapGrid([
    { name: 'conv1', shape: [2, 4, 4], data: ramp },
    { name: 'fc', shape: [10, 1, 1], data: new Float32Array(10).fill(1) },
  ], { tileSize: 8 });
  t.true(image.width > 2 * 8 && image.height > 2 * 8);
  t.throws(() => featureMapGrid([{ name: 'bad', shape: [2, 2, 2], data: new Float32Array(7) }]), { message: /'bad': shape \[2,2,2\] needs 8 values, got 7/ });
});

test('filterGrid: gray tiles for 1 input channel, colour tiles for 3, shape checked', (t) => {
  const w = Float32Array.from({ length: 6 * 25 }, (_, i) => Math.sin(i));
  t.is(filterGrid(w, [6, 1, 5, 5]).channels, 3);
  t.true(filterGrid(Float32Array.from({ length: 4 * 75 }, (_, i) => i % 7), [4, 3, 5, 5]).width > 4 * 5);
  t.throws(() => filterGrid(w, [6, 2, 5, 5]), { message: /must be \[O, C, KH, KW\]/ });
});

test('confusion matrix counts, accuracy and text table', (t) => {
  const predicted = [0, 1, 1, 2, 2, 0];
  const logits = new Tensor(Float32Array.from(predicted.flatMap((p) => [0, 1, 2].map((k) => (k === p ? 1 : 0)))), [6, 3]);
  const m = confusionMatrix(logits, Int32Array.from([0, 0, 1, 2, 2, 2]));
  t.deepEqual(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]]);
  t.is(accuracyOf(m), 4 / 6);
  const text = formatConfusionMatrix(m);
  t.regex(text, /50\.0%/);
  t.regex(text.split('\n')[3], /^2 .* 1 .* 0 .* 2 .*66\.7%$/);
  t.throws(() => confusionMatrix(logits, Int32Array.from([0, 0, 1, 2, 2, 3])), { message: /label 3 of sample 5 is outside \[0, 3\)/ });
});

test('renderReport: accuracy, images, escaped text, full confusion table', (t) => {
  const html = renderReport({
    title: 'LeNet-5 <mnist>', testAccuracy: 0.9876, confusion: [[5, 1], [0, 4]], history,
    details: { command: 'convkit train --epochs 4' }, images: [{ file: 'curves.png', caption: 'curves' }],
  });
  t.regex(html, /98\.76%/);
  t.regex(html, /LeNet-5 &lt;mnist&gt;/);
  t.regex(html, /<img src="curves\.png"/);
  t.is((html.match(/<tr>/g) ?? []).length, 1 + 3 + 5); // details, confusion (head + 2), history (head + 4)
});
