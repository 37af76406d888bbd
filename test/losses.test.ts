import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { ops, tensor, Tensor } from '../lib';
import { runFixture } from './helpers/child';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

void tf.setBackend('cpu');

const CE_SHAPES: [number, number][] = [[1, 1], [1, 10], [5, 3], [17, 33], [4, 300]];

function randomLabels(N: number, K: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: N }, () => Math.floor(r() * K));
}

function oneHot(labels: Int32Array, K: number): Tensor {
  const t = new Float32Array(labels.length * K);
  labels.forEach((l, n) => { t[n * K + l] = 1; });
  return tensor(t, [labels.length, K]);
}

// Mean over rows of -sum_k t_k log softmax(x)_k, in float64.
function crossEntropy64(x: ArrayLike<number>, targets: ArrayLike<number>, N: number, K: number): number {
  let total = 0;
  for (let n = 0; n < N; n++) {
    const row = Array.from({ length: K }, (_, k) => x[n * K + k]);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    for (let k = 0; k < K; k++) if (targets[n * K + k] !== 0) total += targets[n * K + k] * (lse - row[k]);
  }
  return total / N;
}

// Central differences of a float64 loss with respect to every input element.
function numericGrad(loss: (x: number[]) => number, x: ArrayLike<number>, h = 1e-5): number[] {
  const base = Array.from(x);
  return base.map((_, i) => {
    const plus = base.slice(), minus = base.slice();
    plus[i] += h;
    minus[i] -= h;
    return (loss(plus) - loss(minus)) / (2 * h);
  });
}

forEachIsa('softmaxCrossEntropy with class indices matches float64 loss and finite differences', (t) => {
  for (const [i, [N, K]] of CE_SHAPES.entries()) {
    const logits = tensor(randomArray(N * K, rng(10 + i), 5), [N, K]);
    const labels = randomLabels(N, K, 20 + i);
    const target = oneHot(labels, K).data;
    const { loss, grad } = ops.softmaxCrossEntropy(logits, labels);
    const expected = crossEntropy64(logits.data, target, N, K);
    t.true(Math.abs(loss - expected) <= 1e-6 * (1 + Math.abs(expected)), `${N}x${K}: ${loss} vs ${expected}`);
    if (N * K <= 600) {
      const fd = numericGrad((x) => crossEntropy64(x, target, N, K), logits.data);
      t.true(maxRelError(grad.data, fd, 1e-6, 1e-4) <= 1, `grad ${N}x${K}`);
    }
  }
});

forEachIsa('softmaxCrossEntropy with one-hot and soft targets', (t) => {
  for (const [i, [N, K]] of CE_SHAPES.entries()) {
    const logits = tensor(randomArray(N * K, rng(30 + i), 5), [N, K]);
    const labels = randomLabels(N, K, 40 + i);
    const byIndex = ops.softmaxCrossEntropy(logits, labels);
    const byOneHot = ops.softmaxCrossEntropy(logits, oneHot(labels, K));
    t.true(Math.abs(byIndex.loss - byOneHot.loss) <= 1e-6 * (1 + byIndex.loss));
    t.true(maxRelError(byOneHot.grad.data, byIndex.grad.data, 1e-7, 1e-5) <= 1);
    // Soft targets: random rows normalised to sum to 1.
    const soft = randomArray(N * K, rng(50 + i)).map(Math.abs);
    for (let n = 0; n < N; n++) {
      const s = soft.subarray(n * K, (n + 1) * K).reduce((a, b) => a + b, 0);
      for (let k = 0; k < K; k++) soft[n * K + k] /= s;
    }
    const { loss, grad } = ops.softmaxCrossEntropy(logits, tensor(soft, [N, K]));
    const expected = crossEntropy64(logits.data, soft, N, K);
    t.true(Math.abs(loss - expected) <= 1e-6 * (1 + Math.abs(expected)));
    if (N * K <= 600) {
      const fd = numericGrad((x) => crossEntropy64(x, soft, N, K), logits.data);
      t.true(maxRelError(grad.data, fd, 1e-6, 1e-4) <= 1, `soft grad ${N}x${K}`);
    }
  }
});

forEachIsa('softmaxCrossEntropy stays finite and exact for logits of +-100 and -Infinity', (t) => {
  const logits = tensor([100, -100, 0, -100, 100, 0, 3, -Infinity, 1], [3, 3]);
  const labels = Int32Array.from([0, 0, 2]);
  const { loss, grad } = ops.softmaxCrossEntropy(logits, labels);
  t.true(Math.abs(loss - (200 / 3 + crossEntropy64([3, -Infinity, 1], [0, 0, 1], 1, 3) / 3)) < 1e-5, `${loss}`);
  t.true(grad.data.every(Number.isFinite));
  t.true(Math.abs(grad.data[3] - -1 / 3) < 1e-7 && Math.abs(grad.data[4] - 1 / 3) < 1e-7);
  t.is(grad.data[7], 0);
  // A -Infinity logit on the true class is an infinite loss, not NaN.
  t.is(ops.softmaxCrossEntropy(logits, Int32Array.from([0, 0, 1])).loss, Infinity);
});

test('softmaxCrossEntropy rejects labels out of range, naming the index', (t) => {
  const logits = tensor(new Float32Array(12), [3, 4]);
  t.throws(() => ops.softmaxCrossEntropy(logits, Int32Array.from([0, 4, 1])), {
    instanceOf: RangeError, message: 'softmaxCrossEntropyLabels: labels[1] = 4 is outside [0, 4)',
  });
  t.throws(() => ops.softmaxCrossEntropy(logits, Int32Array.from([0, 1, -1])), { instanceOf: RangeError, message: /labels\[2\] = -1/ });
  t.throws(() => ops.softmaxCrossEntropy(logits, Int32Array.from([0, 1])), {
    instanceOf: RangeError, message: 'softmaxCrossEntropy: labels has 2 entries, expected N = 3 (logits [3, 4])',
  });
  t.throws(() => ops.softmaxCrossEntropy(logits, [0, 1, 2] as unknown as Int32Array), { instanceOf: TypeError, message: /labels must be an Int32Array/ });
  t.throws(() => ops.softmaxCrossEntropy(logits, tensor(new Float32Array(12), [4, 3])), {
    instanceOf: RangeError, message: 'softmaxCrossEntropy: labels has shape [4, 3], expected [3, 4] (the shape of logits)',
  });
  t.throws(() => ops.softmaxCrossEntropy(tensor(new Float32Array(12), [12]), Int32Array.from([0])), { instanceOf: RangeError, message: /expected \[N, K\]/ });
});

// Mean of t softplus(-x) + (1 - t) softplus(x), in float64.
function bce64(x: ArrayLike<number>, t: ArrayLike<number>): number {
  const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  let s = 0;
  for (let i = 0; i < x.length; i++) s += t[i] * softplus(-x[i]) + (1 - t[i]) * softplus(x[i]);
  return s / x.length;
}

function mse64(p: ArrayLike<number>, t: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i] - t[i]) ** 2;
  return s / p.length;
}

forEachIsa('binaryCrossEntropy and mse match float64 losses and finite differences', (t) => {
  for (const [i, shape] of [[1], [7], [3, 17], [2, 3, 5, 7]].entries()) {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = tensor(randomArray(n, rng(60 + i), 6), shape);
    const target = tensor(Float32Array.from(randomArray(n, rng(70 + i)), (v) => (v + 1) / 2), shape);
    for (const [name, op, ref] of [['bce', ops.binaryCrossEntropy, bce64], ['mse', ops.mse, mse64]] as const) {
      const { loss, grad } = op(x, target);
      const expected = ref(x.data, target.data);
      t.true(Math.abs(loss - expected) <= 1e-6 * (1 + expected), `${name} ${shape}`);
      t.deepEqual(grad.shape, shape);
      const fd = numericGrad((v) => ref(v, target.data), x.data);
      t.true(maxRelError(grad.data, fd, 1e-6, 1e-4) <= 1, `${name} grad ${shape}`);
    }
  }
});

test('binaryCrossEntropy is exact for logits of +-100 and +-Infinity', (t) => {
  const x = tensor([100, -100, 100, -100, Infinity, -Infinity, Infinity, -Infinity]);
  const target = tensor([1, 0, 0, 1, 1, 0, 0.5, 0.5]);
  const parts = (i: number) => ops.binaryCrossEntropy(tensor([x.data[i]]), tensor([target.data[i]]));
  const expectedLoss = [0, 0, 100, 100, 0, 0, Infinity, Infinity];
  const expectedGrad = [0, 0, 1, -1, 0, 0, 0.5, -0.5];
  for (let i = 0; i < 8; i++) {
    const { loss, grad } = parts(i);
    t.true(Math.abs(loss - expectedLoss[i]) < 1e-12 || loss === expectedLoss[i], `loss ${i}: ${loss}`);
    t.true(Math.abs(grad.data[0] - expectedGrad[i]) < 1e-7, `grad ${i}: ${grad.data[0]}`);
  }
  const finite = ops.binaryCrossEntropy(tensor(x.data.subarray(0, 6)), tensor(target.data.subarray(0, 6)));
  t.true(Math.abs(finite.loss - 200 / 6) < 1e-9);
});

test('losses agree with the TensorFlow.js CPU backend', (t) => {
  const N = 6, K = 11;
  const logits = tensor(randomArray(N * K, rng(80), 4), [N, K]);
  const labels = randomLabels(N, K, 81);
  const onehot = oneHot(labels, K);
  const tfCe = tf.losses.softmaxCrossEntropy(tf.tensor2d(onehot.data, [N, K]), tf.tensor2d(logits.data, [N, K])).dataSync()[0];
  t.true(Math.abs(ops.softmaxCrossEntropy(logits, labels).loss - tfCe) < 1e-5);
  const target = tensor(Float32Array.from(randomArray(N * K, rng(82)), (v) => (v > 0 ? 1 : 0)), [N, K]);
  const tfBce = tf.losses.sigmoidCrossEntropy(tf.tensor2d(target.data, [N, K]), tf.tensor2d(logits.data, [N, K])).dataSync()[0];
  t.true(Math.abs(ops.binaryCrossEntropy(logits, target).loss - tfBce) < 1e-5);
  const tfMse = tf.losses.meanSquaredError(tf.tensor2d(target.data, [N, K]), tf.tensor2d(logits.data, [N, K])).dataSync()[0];
  t.true(Math.abs(ops.mse(logits, target).loss - tfMse) < 1e-4);
});

test('losses are deterministic, write a preallocated grad and check shapes', (t) => {
  const x = tensor(randomArray(300_001, rng(90), 3), [300_001]);
  const target = tensor(randomArray(300_001, rng(91)), [300_001]);
  const grad = new Tensor(new Float32Array(x.size), x.shape);
  const a = ops.mse(x, target, grad), b = ops.mse(x, target);
  t.is(a.grad, grad);
  t.is(a.loss, b.loss);
  t.deepEqual(a.grad.data, b.grad.data);
  t.throws(() => ops.mse(x, tensor(new Float32Array(3))), {
    instanceOf: RangeError, message: 'mse: target has shape [3], expected [300001] (the shape of pred)',
  });
  t.throws(() => ops.binaryCrossEntropy(x, target, tensor(new Float32Array(2))), {
    instanceOf: RangeError, message: 'binaryCrossEntropy: grad has shape [2], expected [300001] (the shape of logits)',
  });
});

forEachIsa('softmaxCrossEntropy may write its grad over the logits', (t) => {
  const logits = tensor(randomArray(5 * 300, rng(95), 4), [5, 300]);
  const labels = randomLabels(5, 300, 96), soft = oneHot(randomLabels(5, 300, 97), 300);
  for (const target of [labels, soft]) {
    const expected = ops.softmaxCrossEntropy(logits, target);
    const copy = logits.clone();
    const inPlace = ops.softmaxCrossEntropy(copy, target, copy);
    t.is(inPlace.grad, copy);
    t.is(inPlace.loss, expected.loss);
    t.deepEqual(copy.data, expected.grad.data);
  }
});

test('losses, bias and batch-norm reductions give the same bits on 1 and 2 threads', (t) => {
  const runs = ['1', '2'].map((threads) => {
    const run = runFixture('losses-threads.ts', { CONVKIT_NUM_THREADS: threads });
    t.is(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as { threads: number; losses: number[] };
  });
  t.deepEqual(runs.map((r) => r.threads), [1, 2]);
  t.true(runs[0].losses.every(Number.isFinite));
  t.deepEqual({ ...runs[0], threads: 0 }, { ...runs[1], threads: 0 });
});
