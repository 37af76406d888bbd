import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { tensor, zeros, type Tensor } from '../lib';
import { conv2d, conv2dBackward, conv2dOutputShape, type Conv2dOptions } from '../lib/ops';
import { binding } from '../lib/native';
import { runFixture } from './helpers/child';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

void tf.setBackend('cpu');

// One test case: shapes and options; `pads` [top, bottom, left, right] is what the reference
// uses, worked out by hand for 'same'.
interface Case {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  opts: Conv2dOptions;
  pads: [number, number, number, number];
  bias?: boolean;
}

const cases: Case[] = [
  { name: '3x3 pad 1', x: [2, 3, 7, 9], w: [4, 3, 3, 3], opts: { padding: 1 }, pads: [1, 1, 1, 1] },
  { name: 'batch 1, odd 3x2 kernel', x: [1, 5, 11, 6], w: [3, 5, 3, 2], opts: {}, pads: [0, 0, 0, 0] },
  { name: 'stride 3 > kernel 2', x: [2, 2, 13, 12], w: [3, 2, 2, 2], opts: { stride: 3, padding: [1, 0] }, pads: [1, 1, 0, 0] },
  { name: 'padding beyond half the kernel', x: [2, 2, 5, 6], w: [2, 2, 3, 3], opts: { padding: [2, 3] }, pads: [2, 2, 3, 3] },
  { name: 'dilation 2', x: [3, 3, 10, 9], w: [4, 3, 3, 3], opts: { padding: 2, dilation: 2 }, pads: [2, 2, 2, 2] },
  { name: 'dilation [2, 1] stride 2', x: [2, 2, 11, 11], w: [2, 2, 3, 3], opts: { stride: 2, padding: 1, dilation: [2, 1] }, pads: [1, 1, 1, 1] },
  { name: 'groups 2, batch 5', x: [5, 4, 8, 7], w: [6, 2, 3, 3], opts: { padding: 1, groups: 2 }, pads: [1, 1, 1, 1] },
  { name: 'depthwise, multiplier 2, stride 2', x: [2, 4, 9, 8], w: [8, 1, 3, 3], opts: { stride: 2, padding: 1, groups: 4 }, pads: [1, 1, 1, 1] },
  { name: 'depthwise 5x5', x: [3, 3, 7, 7], w: [3, 1, 5, 5], opts: { padding: 2, groups: 3 }, pads: [2, 2, 2, 2] },
  { name: '1x1, small images side by side in one GEMM', x: [3, 6, 5, 7], w: [4, 6, 1, 1], opts: {}, pads: [0, 0, 0, 0] },
  { name: '1x1 on images of >= 512 pixels (direct GEMM on x)', x: [3, 4, 24, 22], w: [5, 4, 1, 1], opts: {}, pads: [0, 0, 0, 0] },
  { name: '3x3 on images of >= 512 pixels (one image per GEMM)', x: [3, 2, 23, 23], w: [3, 2, 3, 3], opts: { padding: 1 }, pads: [1, 1, 1, 1] },
  { name: '1x1 groups 2 (direct GEMM), batch 1', x: [1, 6, 4, 3], w: [4, 3, 1, 1], opts: { groups: 2 }, pads: [0, 0, 0, 0] },
  { name: '1x1 stride 2', x: [2, 3, 7, 6], w: [5, 3, 1, 1], opts: { stride: 2 }, pads: [0, 0, 0, 0] },
  { name: "'same' even kernel (asymmetric)", x: [2, 3, 6, 7], w: [2, 3, 4, 2], opts: { padding: 'same' }, pads: [1, 2, 0, 1] },
  { name: "'same' dilation 2", x: [1, 2, 6, 5], w: [3, 2, 3, 2], opts: { padding: 'same', dilation: 2 }, pads: [2, 2, 1, 1] },
  { name: "'same' stride 2 (TensorFlow's rule)", x: [2, 2, 8, 7], w: [3, 2, 3, 3], opts: { padding: 'same', stride: 2 }, pads: [0, 1, 1, 1] },
  { name: "'valid' 5x5", x: [2, 2, 9, 8], w: [3, 2, 5, 5], opts: { padding: 'valid' }, pads: [0, 0, 0, 0] },
  { name: 'no bias', x: [2, 2, 5, 5], w: [3, 2, 3, 3], opts: { padding: 1 }, pads: [1, 1, 1, 1], bias: false },
  // >= 32 filters per group: the forward writes im2col straight into sgemm's B panels.
  { name: 'implicit GEMM, 33 filters', x: [2, 3, 9, 8], w: [33, 3, 3, 3], opts: { padding: 1 }, pads: [1, 1, 1, 1] },
  { name: 'implicit GEMM, stride 2, dilation 2, padding [2, 1]', x: [2, 4, 13, 11], w: [40, 4, 3, 3], opts: { stride: 2, padding: [2, 1], dilation: 2 }, pads: [2, 2, 1, 1] },
  { name: 'implicit GEMM, groups 2 of 32 filters', x: [2, 6, 7, 7], w: [64, 3, 3, 3], opts: { padding: 1, groups: 2 }, pads: [1, 1, 1, 1] },
  // Stride 1 with OW = W: direct tiles on AVX-512 (8 filters a block, 48 pixels a tile).
  { name: 'direct, 13 filters, padding [2, 1] (OH = H + 2), 50-pixel rows', x: [2, 5, 4, 50], w: [13, 5, 3, 3], opts: { padding: [2, 1] }, pads: [2, 2, 1, 1] },
  { name: 'direct, groups 3, dilation [1, 2], 7x5 kernel', x: [2, 6, 9, 17], w: [9, 2, 7, 5], opts: { padding: [3, 4], dilation: [1, 2], groups: 3 }, pads: [3, 3, 4, 4] },
  { name: 'direct with compacted rows (OW < W): LeNet C3, 5x5 valid on 14x14', x: [3, 6, 14, 14], w: [16, 6, 5, 5], opts: {}, pads: [0, 0, 0, 0] },
  { name: 'direct dw tiles of 4 + 2 filters (AVX2) with compacted rows: 3x4 kernel, padding [1, 0]', x: [2, 3, 11, 13], w: [6, 3, 3, 4], opts: { padding: [1, 0] }, pads: [1, 1, 0, 0] },
  { name: 'direct, dw with filters in the lanes: groups 2 of 16, 3x3 valid, dilation [2, 1]', x: [2, 8, 10, 9], w: [32, 4, 3, 3], opts: { groups: 2, dilation: [2, 1] }, pads: [0, 0, 0, 0] },
  { name: 'kernel covering the whole input (LeNet C5): a dense layer', x: [3, 4, 5, 5], w: [7, 4, 5, 5], opts: {}, pads: [0, 0, 0, 0] },
  { name: 'whole-input kernel, groups 2, stride 2, 3x4', x: [2, 4, 3, 4], w: [6, 2, 3, 4], opts: { groups: 2, stride: 2 }, pads: [0, 0, 0, 0] },
  { name: 'direct dx, GEMM dw (O*C*KH*KW > 4096)', x: [2, 16, 6, 7], w: [40, 16, 3, 3], opts: { padding: 1 }, pads: [1, 1, 1, 1] },
  { name: 'implicit GEMM, K = C*KH*KW > 1024 (two K blocks)', x: [1, 120, 5, 5], w: [32, 120, 3, 3], opts: { padding: 1 }, pads: [1, 1, 1, 1] },
];

function pairOf(v: number | readonly [number, number] | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

// y[n, o, i, j] = b[o] + Σ_{k, kh, kw} w[o, k, kh, kw] x[n, g C/G + k, i sh - pt + kh dh, j sw - pl + kw dw]
function refConv(c: Case, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null): { y: Float64Array; shape: number[] } {
  const [N, C, H, W] = c.x;
  const [O, Cg, KH, KW] = c.w;
  const [sh, sw] = pairOf(c.opts.stride);
  const [dh, dw] = pairOf(c.opts.dilation);
  const [pt, pb, pl, pr] = c.pads;
  const G = c.opts.groups ?? 1;
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const y = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    const g = Math.floor(o / (O / G));
    let s = b ? b[o] : 0;
    for (let k = 0; k < Cg; k++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = i * sh - pt + kh * dh, iw = j * sw - pl + kw * dw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      s += w[((o * Cg + k) * KH + kh) * KW + kw] * x[((n * C + g * Cg + k) * H + ih) * W + iw];
    }
    y[((n * O + o) * OH + i) * OW + j] = s;
  }
  return { y, shape: [N, O, OH, OW] };
}

interface Data {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
}

function makeData(c: Case, seed: number): Data {
  const r = rng(seed);
  const size = (s: number[]) => s.reduce((a, d) => a * d, 1);
  return { x: randomArray(size(c.x), r), w: randomArray(size(c.w), r), b: c.bias === false ? null : randomArray(c.w[0], r) };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// dL/dv[i] for L = Σ dy ⊙ refConv, by central differences of the float64 reference, at up to
// `count` random indices (all of them when there are few).
function finiteDifferences(c: Case, data: Data, dy: Float32Array, which: 'x' | 'w' | 'b', seed: number, count = 48) {
  const v = Float64Array.from(data[which]!);
  const inputs = { x: Float64Array.from(data.x), w: Float64Array.from(data.w), b: data.b ? Float64Array.from(data.b) : null, [which]: v };
  const loss = () => dot(dy, refConv(c, inputs.x, inputs.w, inputs.b).y);
  const r = rng(seed);
  const indices = v.length <= count ? [...v.keys()] : Array.from({ length: count }, () => Math.floor(r() * v.length));
  const eps = 1e-3;
  return indices.map((i) => {
    const v0 = v[i];
    v[i] = v0 + eps;
    const plus = loss();
    v[i] = v0 - eps;
    const minus = loss();
    v[i] = v0;
    return { i, fd: (plus - minus) / (2 * eps) };
  });
}

for (const [index, c] of cases.entries()) {
  forEachIsa(`conv2d forward matches float64 loops: ${c.name}`, (t) => {
    const d = makeData(c, 100 + index);
    const ref = refConv(c, d.x, d.w, d.b);
    t.deepEqual(conv2dOutputShape(c.x, c.w, c.opts), ref.shape);
    const y = conv2d(tensor(d.x, c.x), tensor(d.w, c.w), d.b ? tensor(d.b) : null, c.opts);
    t.deepEqual([...y.shape], ref.shape);
    t.true(maxRelError(y.data, ref.y, 1e-5, 1e-4) <= 1, `max rel error ${maxRelError(y.data, ref.y, 1e-5, 1e-4)}`);
  });

  forEachIsa(`conv2d backward matches finite differences: ${c.name}`, (t) => {
    const d = makeData(c, 200 + index);
    const shape = conv2dOutputShape(c.x, c.w, c.opts);
    const dy = randomArray(shape.reduce((a, s) => a * s, 1), rng(300 + index));
    const g = conv2dBackward(tensor(d.x, c.x), tensor(d.w, c.w), tensor(dy, shape), c.opts);
    const grads = { x: g.dx!.data, w: g.dw.data, b: g.db!.data };
    for (const which of (d.b ? ['x', 'w', 'b'] : ['x', 'w']) as ('x' | 'w' | 'b')[]) {
      for (const { i, fd } of finiteDifferences(c, d, dy, which, 400 + index)) {
        const err = Math.abs(grads[which][i] - fd) / (1e-3 + 1e-3 * Math.abs(fd));
        if (err > 1) t.fail(`d${which}[${i}] = ${grads[which][i]}, finite difference ${fd}`);
      }
    }
    t.pass();
  });
}

// The 'same' padding, dilation, depthwise and plain convolutions against TensorFlow.js.
const tfCases = cases.filter((c) => {
  const [sh, sw] = pairOf(c.opts.stride), [dh, dw] = pairOf(c.opts.dilation);
  const strided = sh > 1 || sw > 1, dilated = dh > 1 || dw > 1;  // tfjs takes one or the other
  const groups = c.opts.groups ?? 1;
  return !(strided && dilated) && (groups === 1 || groups === c.x[1]);
});

function tfConv(c: Case, d: Data): Float32Array {
  const [N, C, H, W] = c.x;
  const [O, Cg, KH, KW] = c.w;
  const x = tf.tensor4d(d.x, [N, C, H, W]).transpose([0, 2, 3, 1]);
  const groups = c.opts.groups ?? 1;
  const pad = c.opts.padding === 'same' || c.opts.padding === 'valid' ? c.opts.padding
    : [[0, 0], [c.pads[0], c.pads[1]], [c.pads[2], c.pads[3]], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
  const stride = pairOf(c.opts.stride), dilation = pairOf(c.opts.dilation);
  const y = groups === 1
    ? tf.conv2d(x as tf.Tensor4D, tf.tensor4d(d.w, [O, Cg, KH, KW]).transpose([2, 3, 1, 0]) as tf.Tensor4D, stride, pad, 'NHWC', dilation)
    : tf.depthwiseConv2d(x as tf.Tensor4D, tf.tensor4d(d.w, [C, O / C, KH, KW]).transpose([2, 3, 0, 1]) as tf.Tensor4D, stride, pad, 'NHWC', dilation);
  const withBias = d.b ? tf.add(y, tf.tensor1d(d.b)) : y;
  return Float32Array.from(withBias.transpose([0, 3, 1, 2]).dataSync());
}

for (const c of tfCases) {
  forEachIsa(`conv2d forward matches TensorFlow.js: ${c.name}`, (t) => {
    const d = makeData(c, 500);
    const y = conv2d(tensor(d.x, c.x), tensor(d.w, c.w), d.b ? tensor(d.b) : null, c.opts);
    const expected = tfConv(c, d);
    t.true(maxRelError(y.data, expected, 1e-4, 1e-3) <= 1, `max rel error ${maxRelError(y.data, expected, 1e-4, 1e-3)}`);
  });
}

// Larger than one im2col band (4 MiB): checked along random directions,
// d/dε L(v + ε u) = <dL/dv, u>, against the float64 reference; one image (im2col and sgemm
// split over the pool) and two (images split over the pool).
for (const [N, C] of [[1, 32], [2, 64]]) {
  forEachIsa(`conv2d over several im2col bands, batch ${N}: forward and directional derivatives`, (t) => {
    const c: Case = { name: 'banded', x: [N, C, 66, 60], w: [3, C, 3, 3], opts: { padding: 1 }, pads: [1, 1, 1, 1] };
    const d = makeData(c, 600 + N);
    const ref = refConv(c, d.x, d.w, d.b);
    const y = conv2d(tensor(d.x, c.x), tensor(d.w, c.w), tensor(d.b!), c.opts);
    t.true(maxRelError(y.data, ref.y, 1e-4, 1e-3) <= 1);
    const dy = randomArray(y.size, rng(601));
    const g = conv2dBackward(tensor(d.x, c.x), tensor(d.w, c.w), tensor(dy, y.shape), c.opts);
    const r = rng(602);
    for (const which of ['x', 'w', 'b'] as const) {
      const u = randomArray(d[which]!.length, r);
      const eps = 1e-3;
      const shifted = (sign: number) => {
        const inputs = { x: Float64Array.from(d.x), w: Float64Array.from(d.w), b: Float64Array.from(d.b!) };
        for (let i = 0; i < u.length; i++) inputs[which][i] += sign * eps * u[i];
        return dot(dy, refConv(c, inputs.x, inputs.w, inputs.b).y);
      };
      const fd = (shifted(1) - shifted(-1)) / (2 * eps);
      const analytic = dot({ x: g.dx!.data, w: g.dw.data, b: g.db!.data }[which], u);
      t.true(Math.abs(analytic - fd) <= 1e-3 * Math.abs(fd) + 1e-2, `d${which}·u = ${analytic}, finite difference ${fd}`);
    }
  });
}

test('conv2dBackward accumulates dw and db, overwrites dx, and can skip dx', (t) => {
  const c = cases[0];
  const d = makeData(c, 700);
  const x = tensor(d.x, c.x), w = tensor(d.w, c.w);
  const yShape = conv2dOutputShape(c.x, c.w, c.opts);
  const dy = tensor(randomArray(yShape.reduce((a, s) => a * s, 1), rng(701)), yShape);
  const once = conv2dBackward(x, w, dy, c.opts);
  const dx = zeros(c.x);
  dx.data.fill(7);
  const twice = conv2dBackward(x, w, dy, { ...c.opts, dx, dw: once.dw.clone(), db: once.db!.clone() });
  t.deepEqual(twice.dx!.data, once.dx!.data);
  t.true(maxRelError(twice.dw.data, once.dw.data.map((v) => 2 * v)) <= 1);
  t.true(maxRelError(twice.db!.data, once.db!.data.map((v) => 2 * v)) <= 1);
  const noDb = conv2dBackward(x, w, dy, { ...c.opts, db: null });
  t.is(noDb.db, null);
  t.deepEqual(noDb.dw.data, once.dw.data);
  t.deepEqual(noDb.dx!.data, once.dx!.data);
  const noDx = conv2dBackward(x, w, dy, { ...c.opts, needDx: false });
  t.is(noDx.dx, null);
  t.deepEqual(noDx.dw.data, once.dw.data);
});

test('conv2d and its backward give the same bits on every run', (t) => {
  const c: Case = { name: 'det', x: [5, 8, 12, 12], w: [6, 8, 3, 3], opts: { padding: 1 }, pads: [1, 1, 1, 1] };
  const d = makeData(c, 800);
  const x = tensor(d.x, c.x), w = tensor(d.w, c.w);
  const dy = tensor(randomArray(5 * 6 * 12 * 12, rng(801)), [5, 6, 12, 12]);
  const first = conv2dBackward(x, w, dy, c.opts);
  for (let i = 0; i < 3; i++) {
    const again = conv2dBackward(x, w, dy, c.opts);
    t.deepEqual(again.dw.data, first.dw.data);
    t.deepEqual(again.db!.data, first.db!.data);
    t.deepEqual(again.dx!.data, first.dx!.data);
  }
});

test('conv2d rejects bad shapes and options with messages naming them', (t) => {
  const x = zeros([2, 4, 6, 6]);
  const w = zeros([3, 4, 3, 3]);
  t.throws(() => conv2d(zeros([4, 6, 6]), w, null), { message: /x must be 4-D \[N, C, H, W\], got shape \[4, 6, 6\]/ });
  t.throws(() => conv2d(x, zeros([3, 2, 3, 3]), null), { message: /w \[3, 2, 3, 3\] must have C\/groups = 4 input channels for x \[2, 4, 6, 6\]/ });
  t.throws(() => conv2d(x, zeros([3, 4, 7, 3]), null), { message: /kernel of w \[3, 4, 7, 3\].*larger than x \[2, 4, 6, 6\] padded by \[0, 0, 0, 0\]/ });
  t.throws(() => conv2d(x, w, null, { dilation: 4 }), { message: /larger than x/ });
  t.throws(() => conv2d(x, zeros([3, 1, 3, 3]), null, { groups: 4 }), { message: /groups = 4 must divide .* \[2, 4, 6, 6\] .* \[3, 1, 3, 3\]/ });
  t.throws(() => conv2d(x, w, null, { stride: 0 }), { message: /stride must be an integer >= 1/ });
  t.throws(() => conv2d(x, w, null, { padding: -1 }), { message: /padding must be an integer >= 0/ });
  t.throws(() => conv2d(x, w, null, { padding: [1, 2, 3] as unknown as [number, number] }), { message: /padding must be/ });
  t.throws(() => conv2d(x, w, null, { groups: 1.5 }), { message: /groups must be a positive integer/ });
  t.throws(() => conv2d(zeros([2, 4, 0, 6]), w, null), { message: /x has shape \[2, 4, 0, 6\]: every size must be a positive integer/ });
  t.throws(() => conv2d(x, w, zeros([4])), { message: /b has shape \[4\], expected \[3\]/ });
  t.throws(() => conv2d(x, w, null, { out: zeros([2, 3, 4, 5]) }), { message: /out has shape \[2, 3, 4, 5\], expected \[2, 3, 4, 4\]/ });
  t.throws(() => conv2d(x, w, null, { out: x }), { message: /out has shape/ });
  t.throws(() => conv2d({ data: new Float64Array(288), shape: [2, 4, 6, 6] } as unknown as Tensor, w, null), { instanceOf: TypeError, message: /x must be a Tensor/ });
  t.throws(() => conv2dBackward(x, w, zeros([2, 3, 4, 5])), { message: /dy has shape \[2, 3, 4, 5\], expected \[2, 3, 4, 4\]/ });
  t.throws(() => conv2dBackward(x, w, zeros([2, 3, 4, 4]), { dw: zeros([3, 4, 3, 2]) }), { message: /dw has shape \[3, 4, 3, 2\], expected \[3, 4, 3, 3\]/ });
  t.throws(() => conv2dBackward(x, w, zeros([2, 3, 4, 4]), { dx: zeros([2, 4, 6, 5]) }), { message: /dx has shape \[2, 4, 6, 5\], expected \[2, 4, 6, 6\]/ });
  t.throws(() => conv2dBackward(x, w, zeros([2, 3, 4, 4]), { dx: x }), { message: /dx and x must not share memory/ });
});

type NativeForward = (...args: unknown[]) => void;
const nativeForward = binding<NativeForward>('conv2dForward');
const nativeBackward = binding<NativeForward>('conv2dBackward');

test('the conv2d bindings check every size themselves', (t) => {
  // N, C, H, W, O, KH, KW, strides, pads (top, bottom, left, right), dilations, groups
  const geo = [2, 4, 6, 6, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1];
  const x = new Float32Array(288), w = new Float32Array(108), b = new Float32Array(3), y = new Float32Array(96);
  t.notThrows(() => nativeForward(x, w, b, y, ...geo));
  t.throws(() => nativeForward(x.subarray(1), w, b, y, ...geo), { instanceOf: RangeError, message: /conv2dForward: 'x' has 287 elements, expected N\*C\*H\*W = 288/ });
  t.throws(() => nativeForward(x, w.subarray(1), b, y, ...geo), { instanceOf: RangeError, message: /'w' has 107 elements, expected O\*\(C\/groups\)\*KH\*KW = 108/ });
  t.throws(() => nativeForward(x, w, b.subarray(1), y, ...geo), { instanceOf: RangeError, message: /'b' has 2 elements, expected O = 3/ });
  t.throws(() => nativeForward(x, w, b, y.subarray(1), ...geo), { instanceOf: RangeError, message: /'y' has 95 elements, expected N\*O\*OH\*OW = 96/ });
  t.throws(() => nativeForward(new Float64Array(288), w, b, y, ...geo), { instanceOf: TypeError, message: /'x' must be a Float32Array/ });
  t.throws(() => nativeForward(x, w, b, y, ...geo.slice(0, 15)), { instanceOf: TypeError, message: /20 arguments expected, got 19/ });
  const with_ = (i: number, v: number) => geo.map((g, j) => (j === i ? v : g));
  t.throws(() => nativeForward(x, w, b, y, ...with_(5, 7)), { instanceOf: RangeError, message: /dilated kernel \[7, 3\] is larger than the padded input \[6, 6\]/ });
  t.throws(() => nativeForward(x, w, b, y, ...with_(15, 3)), { instanceOf: RangeError, message: /groups = 3 must divide both C = 4 and O = 3/ });
  t.throws(() => nativeForward(x, w, b, y, ...with_(7, 0)), { instanceOf: RangeError, message: /'strideH' = 0 is outside/ });
  t.throws(() => nativeForward(x, w, b, y, ...with_(9, -1)), { instanceOf: RangeError, message: /'padTop' = -1 is outside/ });
  t.throws(() => nativeForward(x, w, b, y, ...with_(2, 1.5)), { instanceOf: TypeError, message: /'H' must be an integer/ });
  const dw = new Float32Array(108), db = new Float32Array(3), dx = new Float32Array(288);
  t.notThrows(() => nativeBackward(x, w, y, dx, dw, db, ...geo));
  t.notThrows(() => nativeBackward(x, w, y, null, dw, null, ...geo));
  t.throws(() => nativeBackward(x, w, y.subarray(1), dx, dw, db, ...geo), { instanceOf: RangeError, message: /conv2dBackward: 'dy' has 95 elements/ });
  t.throws(() => nativeBackward(x, w, y, dx.subarray(2), dw, db, ...geo), { instanceOf: RangeError, message: /'dx' has 286 elements, expected N\*C\*H\*W = 288/ });
  t.throws(() => nativeBackward(x, w, y, dx, dw.subarray(1), db, ...geo), { instanceOf: RangeError, message: /'dw' has 107 elements/ });
  t.throws(() => nativeBackward(x, w, y, dx, dw, new Float32Array(0), ...geo), { instanceOf: RangeError, message: /'db' has 0 elements, expected O = 3/ });
});

test('conv2d gives the same bits for a given thread count, and agrees across thread counts', (t) => {
  const run = runFixture('conv-threads.ts');
  t.is(run.status, 0, run.stderr);
  const results = JSON.parse(run.stdout.trim().split('\n').pop()!) as { N: number; threads: number; repeatable: boolean; error: number }[];
  t.is(results.length, 9);
  for (const r of results) {
    t.true(r.repeatable, `N = ${r.N}, ${r.threads} threads: runs differ`);
    t.true(r.error <= 1, `N = ${r.N}, ${r.threads} threads: differs from 1 thread by ${r.error}`);
  }
});

test('conv2d reports an im2col buffer it cannot allocate as an Error, from the caller or a worker', (t) => {
  // K * OW = 2^23 * (2^23 + 1) floats of im2col (256 TiB, more than the address space, so no
  // overcommit setting lets it through) for a 1 x 2^23 kernel.
  for (const N of [1, 2]) {
    const x = zeros([N, 1, 1, 1 << 24]), w = zeros([1, 1, 1, 1 << 23]);
    t.throws(() => conv2d(x, w, null), { instanceOf: Error, message: /conv2dForward: out of memory/ });
    t.throws(() => conv2dBackward(x, w, zeros([N, 1, 1, (1 << 23) + 1])), { message: /conv2dBackward: out of memory/ });
  }
});
