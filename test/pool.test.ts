import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { tensor, zeros } from '../lib';
import { maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, globalAvgPool2d, globalAvgPool2dBackward,
  pool2dOutputShape } from '../lib/ops';
import { binding } from '../lib/native';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

void tf.setBackend('cpu');

interface Case {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  s: [number, number];
  p: [number, number];
}

const cases: Case[] = [
  { name: '3x3/1 pad 1 (GoogLeNet), odd sizes', x: [2, 3, 13, 29], k: [3, 3], s: [1, 1], p: [1, 1] },
  { name: '3x3/1 pad 1, batch 1, wide rows', x: [1, 2, 5, 71], k: [3, 3], s: [1, 1], p: [1, 1] },
  { name: '2x2/2 (LeNet)', x: [2, 6, 28, 28], k: [2, 2], s: [2, 2], p: [0, 0] },
  { name: '2x2/2, odd sizes, wide rows', x: [1, 3, 11, 75], k: [2, 2], s: [2, 2], p: [0, 0] },
  { name: '3x3/2 pad 1', x: [2, 2, 15, 40], k: [3, 3], s: [2, 2], p: [1, 1] },
  { name: '3x3/1 no padding', x: [2, 2, 9, 20], k: [3, 3], s: [1, 1], p: [0, 0] },
  { name: '2x3 kernel, stride [1, 2], padding 1', x: [2, 3, 8, 37], k: [2, 3], s: [1, 2], p: [1, 1] },
  { name: 'stride 3 > kernel 2', x: [2, 2, 14, 40], k: [2, 2], s: [3, 3], p: [1, 1] },
  { name: 'stride [3, 2], input rows skipped between windows', x: [2, 2, 17, 37], k: [2, 2], s: [3, 2], p: [1, 1] },
  { name: '3x2 kernel, stride [2, 1], overlapping window rows', x: [1, 3, 16, 21], k: [3, 2], s: [2, 1], p: [1, 1] },
  { name: 'kernel 1', x: [1, 2, 5, 6], k: [1, 1], s: [1, 1], p: [0, 0] },
];

const outSize = (size: number, k: number, s: number, p: number) => Math.floor((size + 2 * p - k) / s) + 1;

// y = max over the window, idx = ih W + iw of its first maximum; a NaN wins (the last NaN).
function refMaxPool(c: Case, x: ArrayLike<number>) {
  const [N, C, H, W] = c.x;
  const OH = outSize(H, c.k[0], c.s[0], c.p[0]), OW = outSize(W, c.k[1], c.s[1], c.p[1]);
  const y = new Float64Array(N * C * OH * OW), idx = new Int32Array(y.length);
  for (let nc = 0; nc < N * C; nc++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    let best = -Infinity, arg = -1;
    for (let kh = 0; kh < c.k[0]; kh++) for (let kw = 0; kw < c.k[1]; kw++) {
      const ih = i * c.s[0] - c.p[0] + kh, iw = j * c.s[1] - c.p[1] + kw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const v = x[(nc * H + ih) * W + iw];
      if (arg < 0 || v > best || Number.isNaN(v)) { best = v; arg = ih * W + iw; }
    }
    y[(nc * OH + i) * OW + j] = best;
    idx[(nc * OH + i) * OW + j] = arg;
  }
  return { y, idx, shape: [N, C, OH, OW] };
}

// y = sum over the window / (KH KW, or the number of input elements in it)
function refAvgPool(c: Case, x: ArrayLike<number>, includePad: boolean) {
  const [N, C, H, W] = c.x;
  const OH = outSize(H, c.k[0], c.s[0], c.p[0]), OW = outSize(W, c.k[1], c.s[1], c.p[1]);
  const y = new Float64Array(N * C * OH * OW);
  for (let nc = 0; nc < N * C; nc++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    let sum = 0, count = 0;
    for (let kh = 0; kh < c.k[0]; kh++) for (let kw = 0; kw < c.k[1]; kw++) {
      const ih = i * c.s[0] - c.p[0] + kh, iw = j * c.s[1] - c.p[1] + kw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      sum += x[(nc * H + ih) * W + iw];
      count++;
    }
    y[(nc * OH + i) * OW + j] = sum / (includePad ? c.k[0] * c.k[1] : count);
  }
  return { y, shape: [N, C, OH, OW] };
}

const opts = (c: Case) => ({ kernelSize: c.k, stride: c.s, padding: c.p });
const size = (s: number[]) => s.reduce((a, d) => a * d, 1);

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// dL/dx at up to 64 random indices by central differences of L = Σ dy ⊙ f(x), f in float64.
function checkFiniteDifferences(t: { fail(m: string): void; pass(): void }, x: Float32Array, dy: Float32Array, dx: Float32Array,
  f: (x: Float64Array) => Float64Array, seed: number) {
  const v = Float64Array.from(x);
  const r = rng(seed);
  const eps = 1e-6;
  for (let n = 0; n < Math.min(64, v.length); n++) {
    const i = v.length <= 64 ? n : Math.floor(r() * v.length);
    const v0 = v[i];
    v[i] = v0 + eps;
    const plus = dot(dy, f(v));
    v[i] = v0 - eps;
    const minus = dot(dy, f(v));
    v[i] = v0;
    const fd = (plus - minus) / (2 * eps);
    if (Math.abs(dx[i] - fd) > 1e-4 + 1e-3 * Math.abs(fd)) t.fail(`dx[${i}] = ${dx[i]}, finite difference ${fd}`);
  }
  t.pass();
}

function tfPool(kind: 'max' | 'avg', c: Case, x: Float32Array): Float32Array {
  const nhwc = tf.tensor4d(x, c.x).transpose([0, 2, 3, 1]) as tf.Tensor4D;
  const pad = [[0, 0], [c.p[0], c.p[0]], [c.p[1], c.p[1]], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
  const y = kind === 'max' ? tf.maxPool(nhwc, c.k, c.s, pad) : tf.avgPool(nhwc, c.k, c.s, pad);
  return Float32Array.from(y.transpose([0, 3, 1, 2]).dataSync());
}

for (const [index, c] of cases.entries()) {
  forEachIsa(`maxPool2d matches float64 loops and TensorFlow.js: ${c.name}`, (t) => {
    const x = randomArray(size(c.x), rng(10 + index));
    const ref = refMaxPool(c, x);
    t.deepEqual(pool2dOutputShape(c.x, opts(c)), ref.shape);
    const { y, indices } = maxPool2d(tensor(x, c.x), opts(c));
    t.deepEqual([...y.shape], ref.shape);
    t.deepEqual(y.data, Float32Array.from(ref.y));
    t.deepEqual(indices, ref.idx);
    t.deepEqual(y.data, tfPool('max', c, x));
  });

  forEachIsa(`maxPool2d keeps the first maximum of ties, lets a NaN win, handles -Infinity: ${c.name}`, (t) => {
    const r = rng(20 + index);
    const value = () => { const u = r(); return u < 0.05 ? NaN : u < 0.4 ? -Infinity : Math.floor(r() * 3); };
    const x = Float32Array.from({ length: size(c.x) }, value);
    x.fill(-Infinity, 0, c.x[2] * c.x[3]);  // a whole plane of -Infinity
    const ref = refMaxPool(c, x);
    const { y, indices } = maxPool2d(tensor(x, c.x), opts(c));
    t.deepEqual(indices, ref.idx);
    t.deepEqual(y.data, Float32Array.from(ref.y));
  });

  forEachIsa(`maxPool2dBackward matches finite differences: ${c.name}`, (t) => {
    const x = randomArray(size(c.x), rng(30 + index));
    const { y, indices } = maxPool2d(tensor(x, c.x), opts(c));
    const dy = randomArray(y.size, rng(40 + index));
    const dx = maxPool2dBackward(tensor(dy, y.shape), indices, c.x);
    checkFiniteDifferences(t, x, dy, dx.data, (v) => refMaxPool(c, v).y, 50 + index);
  });

  for (const includePad of [true, false]) {
    forEachIsa(`avgPool2d (countIncludePad ${includePad}) forward and backward: ${c.name}`, (t) => {
      const x = randomArray(size(c.x), rng(60 + index));
      const ref = refAvgPool(c, x, includePad);
      const y = avgPool2d(tensor(x, c.x), { ...opts(c), countIncludePad: includePad });
      t.deepEqual([...y.shape], ref.shape);
      t.true(maxRelError(y.data, ref.y) <= 1);
      if (!includePad) t.true(maxRelError(y.data, tfPool('avg', c, x)) <= 1);
      const dy = randomArray(y.size, rng(70 + index));
      const dx = avgPool2dBackward(tensor(dy, y.shape), c.x, { ...opts(c), countIncludePad: includePad });
      checkFiniteDifferences(t, x, dy, dx.data, (v) => refAvgPool(c, v, includePad).y, 80 + index);
    });
  }
}

forEachIsa('globalAvgPool2d forward and backward', (t) => {
  const shape = [3, 5, 7, 6];
  const x = randomArray(size(shape), rng(90));
  const ref = (v: ArrayLike<number>) => {
    const y = new Float64Array(15);
    for (let p = 0; p < 15; p++) for (let i = 0; i < 42; i++) y[p] += v[p * 42 + i] / 42;
    return y;
  };
  const y = globalAvgPool2d(tensor(x, shape));
  t.deepEqual([...y.shape], [3, 5, 1, 1]);
  t.true(maxRelError(y.data, ref(x)) <= 1);
  const dy = randomArray(15, rng(91));
  const dx = globalAvgPool2dBackward(tensor(dy, [3, 5, 1, 1]), shape);
  checkFiniteDifferences(t, x, dy, dx.data, ref, 92);
});

test('pooling writes into preallocated outputs', (t) => {
  const x = tensor(randomArray(2 * 3 * 8 * 8, rng(95)), [2, 3, 8, 8]);
  const out = zeros([2, 3, 4, 4]), indices = new Int32Array(96);
  const r = maxPool2d(x, { kernelSize: 2, out, indices });
  t.is(r.y, out);
  t.is(r.indices, indices);
  const dx = zeros([2, 3, 8, 8]);
  dx.data.fill(5);
  t.is(maxPool2dBackward(zeros([2, 3, 4, 4]), indices, [2, 3, 8, 8], dx), dx);
  t.true(dx.data.every((v) => v === 0));
  t.is(avgPool2d(x, { kernelSize: 2, out }), out);
  t.is(avgPool2dBackward(out, [2, 3, 8, 8], { kernelSize: 2, dx }), dx);
  const g = zeros([2, 3, 1, 1]);
  t.is(globalAvgPool2d(x, g), g);
  t.is(globalAvgPool2dBackward(g, [2, 3, 8, 8], dx), dx);
});

test('pooling rejects bad shapes and options with messages naming them', (t) => {
  const x = zeros([2, 3, 6, 6]);
  t.throws(() => maxPool2d(zeros([3, 6, 6]), { kernelSize: 2 }), { message: /x must be 4-D \[N, C, H, W\]/ });
  t.throws(() => maxPool2d(x, { kernelSize: 7 }), { message: /kernelSize \[7, 7\] is larger than x \[2, 3, 6, 6\] padded by \[0, 0\]/ });
  t.throws(() => maxPool2d(x, { kernelSize: 3, padding: 2 }), { message: /padding \[2, 2\] must be at most half of kernelSize \[3, 3\]/ });
  t.throws(() => maxPool2d(x, { kernelSize: 0 }), { message: /kernelSize must be an integer >= 1/ });
  t.throws(() => maxPool2d(x, { kernelSize: 2, stride: [1, -1] }), { message: /stride must be an integer >= 1/ });
  t.throws(() => maxPool2d(x, {} as never), { message: /kernelSize is required/ });
  t.throws(() => maxPool2d(x, { kernelSize: 2, out: zeros([2, 3, 3, 4]) }), { message: /out has shape \[2, 3, 3, 4\], expected \[2, 3, 3, 3\]/ });
  t.throws(() => maxPool2d(x, { kernelSize: 2, indices: new Int32Array(5) }), { message: /indices must be an Int32Array of 54 elements/ });
  t.throws(() => maxPool2dBackward(zeros([2, 4, 3, 3]), new Int32Array(72), [2, 3, 6, 6]), { message: /dy has shape \[2, 4, 3, 3\], expected \[2, 3, 3, 3\]/ });
  t.throws(() => maxPool2dBackward(zeros([2, 3, 3, 3]), new Int32Array(5), [2, 3, 6, 6]), { message: /indices must be an Int32Array of 54 elements/ });
  t.throws(() => maxPool2dBackward(zeros([2, 3, 3, 3]), new Int32Array(54), [2, 3, 6, 6], zeros([2, 3, 6, 5])), { message: /dx has shape \[2, 3, 6, 5\], expected \[2, 3, 6, 6\]/ });
  t.throws(() => avgPool2dBackward(zeros([2, 3, 2, 3]), [2, 3, 6, 6], { kernelSize: 2 }), { message: /dy has shape \[2, 3, 2, 3\], expected \[2, 3, 3, 3\]/ });
  t.throws(() => globalAvgPool2dBackward(zeros([2, 3]), [2, 3, 6, 6]), { message: /dy has shape \[2, 3\], expected \[2, 3, 1, 1\]/ });
  t.throws(() => globalAvgPool2d(x, x), { message: /out has shape \[2, 3, 6, 6\], expected \[2, 3, 1, 1\]/ });
});

type Native = (...args: unknown[]) => void;

test('the pooling bindings check every size and index themselves', (t) => {
  const maxF = binding<Native>('maxPool2dForward'), maxB = binding<Native>('maxPool2dBackward');
  const avgF = binding<Native>('avgPool2dForward'), avgB = binding<Native>('avgPool2dBackward');
  const gF = binding<Native>('globalAvgPool2dForward'), gB = binding<Native>('globalAvgPool2dBackward');
  const geo = [2, 3, 6, 6, 2, 2, 2, 2, 0, 0];  // N, C, H, W, KH, KW, strides, pads
  const x = new Float32Array(216), y = new Float32Array(54), idx = new Int32Array(54);
  t.notThrows(() => maxF(x, y, idx, ...geo));
  t.throws(() => maxF(x.subarray(1), y, idx, ...geo), { instanceOf: RangeError, message: /maxPool2dForward: 'x' has 215 elements, expected N\*C\*H\*W = 216/ });
  t.throws(() => maxF(x, y.subarray(1), idx, ...geo), { instanceOf: RangeError, message: /'y' has 53 elements, expected N\*C\*OH\*OW = 54/ });
  t.throws(() => maxF(x, y, new Int32Array(53), ...geo), { instanceOf: RangeError, message: /'indices' has 53 elements/ });
  t.throws(() => maxF(x, y, new Float32Array(54), ...geo), { instanceOf: TypeError, message: /'indices' must be a Int32Array/ });
  t.throws(() => maxF(x, y, idx, ...geo.slice(0, 8), 2, 0), { instanceOf: RangeError, message: /padding \[2, 0\] must be at most half the kernel \[2, 2\]/ });
  t.throws(() => maxF(x, y, idx, 2, 3, 6, 6, 8, 8, 1, 1, 0, 0), { instanceOf: RangeError, message: /kernel \[8, 8\] is larger than the padded input \[6, 6\]/ });
  t.throws(() => maxF(x, y, idx, 2, 3, 1 << 16, 1 << 16, 2, 2, 2, 2, 0, 0), { instanceOf: RangeError, message: /too large for int32 indices/ });
  t.notThrows(() => maxB(y, idx, x, 2, 3, 6, 6, 3, 3));
  t.throws(() => maxB(y, Int32Array.from(idx, (_, i) => (i === 7 ? 36 : 0)), x, 2, 3, 6, 6, 3, 3), { instanceOf: RangeError, message: /indices\[7\] = 36 is outside the plane \[0, H\*W = 36\)/ });
  t.throws(() => maxB(y, Int32Array.from(idx, (_, i) => (i === 3 ? -1 : 0)), x, 2, 3, 6, 6, 3, 3), { instanceOf: RangeError, message: /indices\[3\] = -1/ });
  t.throws(() => maxB(y, idx, x.subarray(1), 2, 3, 6, 6, 3, 3), { instanceOf: RangeError, message: /'dx' has 215 elements/ });
  t.throws(() => maxB(y, idx, x, 2, 3, 6, 6, 3, 4), { instanceOf: RangeError, message: /'dy' has 54 elements, expected N\*C\*OH\*OW = 72/ });
  t.notThrows(() => avgF(x, y, true, ...geo));
  t.throws(() => avgF(x, y, 1, ...geo), { instanceOf: TypeError, message: /'countIncludePad' must be a boolean/ });
  t.throws(() => avgB(y.subarray(1), x, true, ...geo), { instanceOf: RangeError, message: /avgPool2dBackward: 'dy' has 53 elements/ });
  t.throws(() => avgB(y, x.subarray(1), false, ...geo), { instanceOf: RangeError, message: /'dx' has 215 elements/ });
  t.notThrows(() => gF(x, new Float32Array(6), 2, 3, 6, 6));
  t.throws(() => gF(x, new Float32Array(5), 2, 3, 6, 6), { instanceOf: RangeError, message: /globalAvgPool2dForward: 'y' has 5 elements, expected N\*C = 6/ });
  t.throws(() => gB(new Float32Array(6), x.subarray(3), 2, 3, 6, 6), { instanceOf: RangeError, message: /globalAvgPool2dBackward: 'dx' has 213 elements, expected N\*C\*H\*W = 216/ });
  t.throws(() => gB(new Float32Array(6), x, 2, 3, 0, 6), { instanceOf: RangeError, message: /'H' = 0 is outside/ });
});
