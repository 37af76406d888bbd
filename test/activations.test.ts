import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { ops, tensor, Tensor, type Shape } from '../lib';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

void tf.setBackend('cpu');

// Odd sizes so that the 8- and 16-lane SIMD tails are hit, and batch 1.
const SHAPES: Shape[] = [[1], [7], [1, 17], [3, 33], [2, 3, 5, 7], [1, 1, 9, 13], [4, 64]];
const size = (s: Shape) => s.reduce((a, b) => a * b, 1);

const sigmoid64 = (x: number) => 1 / (1 + Math.exp(-x));
const REFERENCE = { relu: (x: number) => Math.max(x, 0), sigmoid: sigmoid64, tanh: Math.tanh, exp: Math.exp };
type Kind = keyof typeof REFERENCE;
const FORWARD = { relu: ops.relu, sigmoid: ops.sigmoid, tanh: ops.tanh, exp: ops.exp };

function randomTensor(shape: Shape, seed: number, scale: number): Tensor {
  return tensor(randomArray(size(shape), rng(seed), scale), shape);
}

// Distance in units in the last place of the float32 nearest to `expected`.
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
function ulps(actual: number, expected: number): number {
  f32[0] = expected;
  const e = f32[0];
  if (!Number.isFinite(e) || Math.abs(e) < 2 ** -126) return actual === e || Math.abs(actual - expected) <= 2 ** -148 ? 0 : Infinity;
  u32[0] += 1;
  return Math.abs(actual - expected) / Math.abs(f32[0] - e);
}

forEachIsa('relu, sigmoid, tanh and exp match float64 references on odd shapes', (t) => {
  for (const [i, shape] of SHAPES.entries()) {
    for (const kind of Object.keys(REFERENCE) as Kind[]) {
      const x = randomTensor(shape, 100 + i, kind === 'exp' ? 80 : 12);
      const y = FORWARD[kind](x);
      t.deepEqual(y.shape, shape);
      const expected = Array.from(x.data, REFERENCE[kind]);
      t.true(maxRelError(y.data, expected, 1e-37, 1e-6) <= 1, `${kind} ${shape}`);
    }
  }
});

forEachIsa('vectorised exp is within 2 ulp of Math.exp from -110 to 100, saturating to 0 and +Infinity', (t) => {
  const n = 200_003;
  const x = new Float32Array(n).map((_, i) => -110 + (210 * i) / (n - 1));
  const y = ops.exp(tensor(x)).data;
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, ulps(y[i], Math.exp(x[i])));
  t.true(worst <= 2, `worst error ${worst} ulp`);
  const special = ops.exp(tensor([Infinity, -Infinity, NaN, 88.72, 88.73, 100, -104, -1e30, 0])).data;
  t.deepEqual(Array.from(special.subarray(0, 2)), [Infinity, 0]);
  t.true(Number.isNaN(special[2]));
  t.true(Number.isFinite(special[3]) && ulps(special[3], Math.exp(Math.fround(88.72))) <= 2);
  t.deepEqual(Array.from(special.subarray(4)), [Infinity, Infinity, 0, 0, 1]);
});

forEachIsa('extreme inputs give finite, saturated activations', (t) => {
  const x = tensor([100, -100, Infinity, -Infinity, 1e-30, -1e-30, 0]);
  const s = ops.sigmoid(x).data, th = ops.tanh(x).data, r = ops.relu(x).data;
  t.true(maxRelError(s, [1, 3.720075976020836e-44, 1, 0, 0.5, 0.5, 0.5], 1e-37, 1e-6) <= 1, `${s}`);
  t.deepEqual(Array.from(th.subarray(0, 4)), [1, -1, 1, -1]);
  t.true(maxRelError(th.subarray(4), [1e-30, -1e-30, 0], 1e-45, 1e-6) <= 1);
  t.deepEqual(Array.from(r), [100, 0, Infinity, 0, Math.fround(1e-30), 0, 0]);
  t.true(Number.isNaN(ops.sigmoid(tensor([NaN])).data[0]));
});

forEachIsa('activations work in place and into a preallocated output', (t) => {
  const x = randomTensor([3, 37], 5, 4);
  const expected = ops.tanh(x).data.slice();
  const out = new Tensor(new Float32Array(x.size), x.shape);
  t.is(ops.tanh(x, out), out);
  t.deepEqual(out.data, expected);
  t.is(ops.tanh(x, x), x);
  t.deepEqual(x.data, expected);
});

// Central differences of the float64 reference: f'(x) ~ (f(x + h) - f(x - h)) / 2h.
function numericDerivative(f: (x: number) => number, x: number, h = 1e-5): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

forEachIsa('activation backward passes match central finite differences', (t) => {
  const BACKWARD = {
    relu: (x: Tensor, y: Tensor, dy: Tensor) => ops.reluBackward(x, dy),
    sigmoid: (x: Tensor, y: Tensor, dy: Tensor) => ops.sigmoidBackward(y, dy),
    tanh: (x: Tensor, y: Tensor, dy: Tensor) => ops.tanhBackward(y, dy),
  };
  for (const [i, shape] of SHAPES.entries()) {
    for (const kind of Object.keys(BACKWARD) as (keyof typeof BACKWARD)[]) {
      const x = randomTensor(shape, 200 + i, 5);
      // Keep relu's kink out of reach of the finite-difference step.
      if (kind === 'relu') x.data.forEach((v, j) => { if (Math.abs(v) < 1e-3) x.data[j] = 0.5; });
      const dy = randomTensor(shape, 300 + i, 1);
      const dx = BACKWARD[kind](x, FORWARD[kind](x), dy);
      const expected = Array.from(x.data, (v, j) => dy.data[j] * numericDerivative(REFERENCE[kind], v));
      t.true(maxRelError(dx.data, expected, 1e-6, 1e-4) <= 1, `${kind} ${shape}`);
    }
  }
});

function softmax64(row: ArrayLike<number>, log: boolean): number[] {
  const m = Math.max(...Array.from(row));
  const s = Array.from(row).reduce((a, v) => a + Math.exp(v - m), 0);
  return Array.from(row, (v) => (log ? v - m - Math.log(s) : Math.exp(v - m) / s));
}

function rowsOf(x: Tensor, f: (row: Float32Array) => number[]): number[] {
  const K = x.shape[x.rank - 1];
  const out: number[] = [];
  for (let r = 0; r < x.size / K; r++) out.push(...f(x.data.subarray(r * K, (r + 1) * K)));
  return out;
}

const SOFTMAX_SHAPES: Shape[] = [[1, 1], [1, 10], [3, 17], [8, 33], [2, 300], [2, 3, 5]];

forEachIsa('softmax and logSoftmax match float64 references; rows sum to 1', (t) => {
  for (const [i, shape] of SOFTMAX_SHAPES.entries()) {
    const x = randomTensor(shape, 400 + i, 8);
    const y = ops.softmax(x), ly = ops.logSoftmax(x);
    t.true(maxRelError(y.data, rowsOf(x, (r) => softmax64(r, false)), 1e-7, 1e-5) <= 1, `softmax ${shape}`);
    t.true(maxRelError(ly.data, rowsOf(x, (r) => softmax64(r, true)), 1e-6, 1e-5) <= 1, `logSoftmax ${shape}`);
    const K = shape[shape.length - 1];
    for (let r = 0; r < y.size / K; r++) {
      t.true(Math.abs(y.data.subarray(r * K, (r + 1) * K).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
  }
});

forEachIsa('softmax is stable for logits of +-100, 1e4 and -Infinity', (t) => {
  const x = tensor([100, -100, 0, 1e4, 1e4 - 1, -1e4, 3, -Infinity, 1], [3, 3]);
  const y = ops.softmax(x).data, ly = ops.logSoftmax(x).data;
  t.true(y.every(Number.isFinite) && ly.slice(0, 6).every(Number.isFinite));
  const expected = rowsOf(x, (r) => softmax64(r, false));
  t.true(maxRelError(y, expected, 1e-30, 1e-5) <= 1, `${y}`);
  const logExpected = rowsOf(x, (r) => softmax64(r, true));
  t.true(maxRelError(ly.filter((_, i) => i !== 7), logExpected.filter((_, i) => i !== 7), 1e-6, 1e-5) <= 1, `${ly}`);
  t.is(y[7], 0);
  t.is(ly[7], -Infinity);
});

forEachIsa('softmax and logSoftmax backward match central finite differences', (t) => {
  for (const [i, shape] of SOFTMAX_SHAPES.entries()) {
    for (const log of [false, true]) {
      const x = randomTensor(shape, 500 + i, 3);
      const dy = randomTensor(shape, 600 + i, 1);
      const y = log ? ops.logSoftmax(x) : ops.softmax(x);
      const dx = log ? ops.logSoftmaxBackward(y, dy) : ops.softmaxBackward(y, dy);
      // L(x) = sum dy * f(x) in float64; dL/dx_j by central differences, one row at a time.
      const K = shape[shape.length - 1];
      const expected: number[] = [];
      for (let r = 0; r < x.size / K; r++) {
        const row = Array.from(x.data.subarray(r * K, (r + 1) * K));
        const g = dy.data.subarray(r * K, (r + 1) * K);
        const L = (v: number[]) => softmax64(v, log).reduce((a, p, k) => a + g[k] * p, 0);
        for (let k = 0; k < K; k++) {
          const plus = row.slice(), minus = row.slice();
          plus[k] += 1e-5;
          minus[k] -= 1e-5;
          expected.push((L(plus) - L(minus)) / 2e-5);
        }
      }
      t.true(maxRelError(dx.data, expected, 1e-6, 1e-4) <= 1, `${log ? 'logSoftmax' : 'softmax'} ${shape}`);
    }
  }
});

test('forward outputs agree with the TensorFlow.js CPU backend', (t) => {
  const x = randomTensor([7, 19], 700, 6);
  const tx = tf.tensor2d(x.data, [7, 19]);
  const pairs: [Tensor, tf.Tensor][] = [
    [ops.relu(x), tf.relu(tx)], [ops.sigmoid(x), tf.sigmoid(tx)], [ops.tanh(x), tf.tanh(tx)],
    [ops.exp(x), tf.exp(tx)], [ops.softmax(x), tf.softmax(tx)], [ops.logSoftmax(x), tf.logSoftmax(tx)],
  ];
  for (const [ours, theirs] of pairs) t.true(maxRelError(ours.data, theirs.dataSync(), 1e-6, 1e-5) <= 1);
});

test('shape errors name the argument and both shapes', (t) => {
  const x = tensor(new Float32Array(6), [2, 3]);
  t.throws(() => ops.relu(x, tensor(new Float32Array(6), [3, 2])), {
    instanceOf: RangeError, message: 'relu: out has shape [3, 2], expected [2, 3] (the shape of x)',
  });
  t.throws(() => ops.sigmoidBackward(x, tensor(new Float32Array(6))), {
    instanceOf: RangeError, message: 'sigmoidBackward: dy has shape [6], expected [2, 3] (the shape of y)',
  });
  t.throws(() => ops.softmax(tensor(new Float32Array(1), [])), { instanceOf: RangeError, message: /softmax: x has shape \[\]/ });
  t.throws(() => ops.tanh([1, 2] as unknown as Tensor), { instanceOf: TypeError, message: 'tanh: x must be a Tensor' });
});

forEachIsa('softmax and logSoftmax work in place, also on rows longer than their scratch block', (t) => {
  for (const K of [5, 257, 600]) {
    for (const op of [ops.softmax, ops.logSoftmax]) {
      const x = randomTensor([3, K], 800 + K, 5);
      const expected = op(x).data.slice();
      t.is(op(x, x), x);
      t.deepEqual(x.data, expected);
    }
  }
});
